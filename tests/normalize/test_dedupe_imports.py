"""Start-up stays light: the service must not pull in scipy (datasketch's package __init__ did,
~45 MB and up to a second) or other heavy optional libraries before they are needed."""

from __future__ import annotations

import json
import subprocess
import sys


def test_service_import_does_not_load_scipy() -> None:
    code = (
        "import json, sys; import syndicate.service; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "syndicate" in loaded
    assert not loaded & {"scipy", "datasketch"}
    # Loaded on first use by the few sources that need them.
    assert not loaded & {"markdown_it", "trafilatura"}

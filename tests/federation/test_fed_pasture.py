# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""fediverse-pasture's verify_actor against our actor, on loopback: its personas (alice
unsigned; bob, claire, emily, frank signed, claire and frank requiring signed fetches of their
own keys) GET our actor and POST to our inbox; the WebFinger round trip must match."""

from __future__ import annotations

from conftest import free_port
from fedutil import instance, serve, stop_server  # noqa: F401


async def test_verify_actor(instance, tmp_path, monkeypatch) -> None:
    # bovine (under pasture) writes bovine_jsonld_cache.sqlite into the working directory on import
    monkeypatch.chdir(tmp_path)
    from fediverse_pasture.data_provider import DataProvider
    from fediverse_pasture.server import BlueprintForActors
    from fediverse_pasture.server.verify_actor import ActorVerifier
    from fediverse_pasture.types import Message
    from quart import Quart

    dp = DataProvider.generate()  # in memory; pasture's build_app would write data.toml
    actors = [*dp.possible_actors, dp.one_actor]
    app = Quart("pasture")
    app.register_blueprint(BlueprintForActors(actors).blueprint)
    port = free_port()
    server, task = await serve(app, port)
    try:
        verifier = ActorVerifier(
            actor_list=actors,
            remote_uri=instance.actor(),
            message=Message(),
            domain=f"127.0.0.1:{port}",
            timeout=10,
        )
        result = await verifier.verify()
    finally:
        await stop_server(server, task)
    messages = verifier.message.response
    assert result["webfinger"] is True, messages
    # alice does not sign: she may read the actor, but her POST must be refused
    assert result["alice"] == {"get_actor": True, "post_inbox": False}, messages
    for name in ("bob", "claire", "emily", "frank"):
        assert result[name] == {"get_actor": True, "post_inbox": True}, (name, messages)

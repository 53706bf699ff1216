"""TOML -> typed settings, validated at start with messages that name the file, the key and the fix."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

DEFAULT_CONFIG = "config.toml"
_DURATION = re.compile(r"^\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*$")


class ConfigError(Exception):
    """A configuration problem, already worded for the operator (one line per problem)."""


def parse_duration(value: Any) -> timedelta:
    """'15m', '1h30m', '2d', '45s' or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m and any(m.groups()):
            d, h, mi, s = (int(g or 0) for g in m.groups())
            td = timedelta(days=d, hours=h, minutes=mi, seconds=s)
            if td.total_seconds() > 0:
                return td
    raise ValueError(f"expected a duration like '15m', '1h' or '30s', got {value!r}")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _parse_delay(value: Any) -> timedelta:
    """Like a duration, but zero ("0s", 0) is allowed: no wait."""
    if value in (0, "0", "0s", "0m") and not isinstance(value, bool):
        return timedelta(0)
    return parse_duration(value)


Delay = Annotated[timedelta, BeforeValidator(_parse_delay)]


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"expected an IANA time zone like 'Asia/Makassar' (WITA), 'Asia/Jakarta' (WIB) or 'Asia/Jayapura' (WIT), got {value!r}"
        ) from None
    return value


TimeZone = Annotated[str, BeforeValidator(_check_timezone)]


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value


HttpUrl = Annotated[str, BeforeValidator(_check_http_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Strict):
    base_url: HttpUrl = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, v: str) -> str:
        return v.rstrip("/")


class StorageSettings(_Strict):
    url: str = "sqlite:///data/syndicate.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        scheme = v.split(":", 1)[0]
        if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
            raise ValueError(
                f"expected 'sqlite:///path.db' or 'postgresql://user@host/db', got {v!r}"
            )
        return v


class FetchSettings(_Strict):
    user_agent: str = "syndicate/{version} (+{contact})"
    contact: str = (
        ""  # a URL or e-mail where site owners can reach the operator; defaults to base_url
    )
    timeout: Duration = timedelta(seconds=20)
    connect_timeout: Duration = timedelta(seconds=10)
    max_body_bytes: int = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    concurrency: int = Field(8, gt=0)
    per_host_concurrency: int = Field(2, gt=0)
    per_host_delay: Delay = timedelta(seconds=1)
    respect_robots: bool = True
    # CIDRs ingest may fetch from besides configured source hosts (loopback, private … are refused).
    allow_private_networks: list[str] = []

    @field_validator("allow_private_networks")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        return FederationSettings._cidrs(v)


class Defaults(_Strict):
    interval: Duration = timedelta(minutes=15)
    timezone: TimeZone = "Asia/Makassar"
    language: str = "id"
    content: Literal["full", "summary"] = "full"
    backfill: int = Field(50, ge=1)


class FeedSettings(_Strict):
    size: int = Field(50, ge=1, le=1000)


class FederationSettings(_Strict):
    enabled: bool = True
    allow_private_networks: list[str] = []
    workers: int = Field(4, ge=1, le=64)
    # How long a delivery worker owns a claimed row; a worker that dies gives its rows back after this.
    delivery_lease: Duration = timedelta(minutes=2)

    @field_validator("allow_private_networks")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for cidr in v:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(
                    f"expected CIDR networks like '127.0.0.0/8', got {cidr!r}"
                ) from None
        return v


class ApiSettings(_Strict):
    token: str = ""  # bearer token for POST /api/posts; SYNDICATE_API_TOKEN overrides


class WebSubSettings(_Strict):
    hub: str = ""


class ClusterSettings(_Strict):
    # How long a node's claim on a source or an event follower lasts without renewal: a node
    # that dies hands its work to the others after at most this long. Renewed every third.
    lease: Duration = Field(timedelta(seconds=60), ge=timedelta(seconds=3))


class HealthSettings(_Strict):
    # POSTed a JSON body on every source health change (state, previous, kind, detail, at).
    webhook: str = ""

    @field_validator("webhook")
    @classmethod
    def _url(cls, v: str) -> str:
        return _check_http_url(v) if v else v


SourceKind = Literal["auto", "feed", "wordpress", "sitemap", "html", "folder", "api"]


class SourceSettings(_Strict):
    id: str
    name: str = ""  # display name; see display_name() when not given
    url: str
    kind: SourceKind = "auto"
    description: str = ""
    enabled: bool = True
    # None = inherit from [defaults]; resolved by Settings.
    interval: Duration | None = None
    timezone: TimeZone | None = None
    language: str | None = None
    content: Literal["full", "summary"] | None = None
    backfill: int | None = Field(None, ge=1)
    object_type: Literal["Note", "Article"] = "Note"
    # Who may quote this source's posts (FEP-044f; approved automatically) and whether replies
    # from the Fediverse are shown under articles on our pages.
    quotes: Literal["anyone", "followers", "nobody"] = "anyone"
    replies: Literal["show", "hide"] = "show"
    feed_url: str | None = None  # for kind = "feed" when `url` is the site, not the feed
    selectors: dict[str, str] = {}  # html route: links, next, title, date, author, body, image
    max_pages: int = Field(3, ge=1, le=100)
    # kind = "api": this source's own bearer token (SYNDICATE_API_TOKEN_<ID> overrides); when set,
    # only it may post to the source. Sources without one accept the [api] token.
    token: str = ""

    @field_validator("id")
    @classmethod
    def _handle(cls, v: str) -> str:
        # The id becomes a Fediverse handle and a URL path segment.
        if not re.fullmatch(r"[a-z0-9_]{1,64}", v):
            raise ValueError(
                f"expected lower-case letters, digits and '_' (it becomes @{v}@host), got {v!r}"
            )
        return v

    # False when the config gave no name: pages and feeds then show the site's own name as the
    # last discovery found it (SourceState.site_name), and the id until then.
    _named: bool = PrivateAttr(True)

    @model_validator(mode="wrap")
    @classmethod
    def _default_name(cls, data: Any, handler: ModelWrapValidatorHandler[SourceSettings]) -> Any:
        if isinstance(data, dict) and not data.get("name") and isinstance(data.get("id"), str):
            out = handler({**data, "name": data["id"]})
            out._named = False
            return out
        return handler(data)

    @property
    def has_name(self) -> bool:
        """Whether the config gave this source a name (else `name` is the id)."""
        return self._named

    def display_name(self, site_name: str | None = None) -> str:
        """The name people see: the configured one, else the site's name found by discovery
        (`site_name`), else the id."""
        return self.name if self._named else (site_name or self.id)

    @model_validator(mode="after")
    def _url_fits_kind(self) -> SourceSettings:
        if self.kind not in ("folder", "api"):
            _check_http_url(self.url)
        return self


class Settings(_Strict):
    server: ServerSettings = ServerSettings()
    storage: StorageSettings = StorageSettings()
    fetch: FetchSettings = FetchSettings()
    defaults: Defaults = Defaults()
    feeds: FeedSettings = FeedSettings()
    federation: FederationSettings = FederationSettings()
    api: ApiSettings = ApiSettings()
    websub: WebSubSettings = WebSubSettings()
    cluster: ClusterSettings = ClusterSettings()
    health: HealthSettings = HealthSettings()
    sources: list[SourceSettings] = []
    path: Path | None = Field(None, exclude=True)  # where it was read from

    @model_validator(mode="after")
    def _unique_ids(self) -> Settings:
        seen: set[str] = set()
        for i, src in enumerate(self.sources):
            if src.id in seen:
                raise ValueError(
                    f"@sources[{i}].id: duplicate source id {src.id!r}; each source needs its own id"
                )
            seen.add(src.id)
        return self

    def source(self, source_id: str) -> SourceSettings:
        for src in self.sources:
            if src.id == source_id:
                return src
        raise KeyError(source_id)

    # Per-source values with [defaults] filled in.
    def interval(self, src: SourceSettings) -> timedelta:
        return src.interval or self.defaults.interval

    def timezone(self, src: SourceSettings) -> str:
        return src.timezone or self.defaults.timezone

    def language(self, src: SourceSettings) -> str:
        return src.language or self.defaults.language

    def content(self, src: SourceSettings) -> str:
        return src.content or self.defaults.content

    def backfill(self, src: SourceSettings) -> int:
        return src.backfill or self.defaults.backfill

    def folder_path(self, src: SourceSettings) -> Path:
        """A folder source's directory; relative paths are relative to the config file."""
        p = Path(src.url.removeprefix("file://"))
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p

    def user_agent(self) -> str:
        from syndicate import __version__

        contact = self.fetch.contact or self.server.base_url
        return self.fetch.user_agent.format(version=__version__, contact=contact)

    def api_token(self) -> str:
        return os.environ.get("SYNDICATE_API_TOKEN", self.api.token)

    def source_token(self, src: SourceSettings) -> str:
        """The bearer token only this api source accepts ("" = it shares the [api] token)."""
        return os.environ.get(f"SYNDICATE_API_TOKEN_{src.id.upper()}", src.token)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "constrained-", "lax-", "json-")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Settings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = next(
            (a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None
        )
        if model is None:
            return []
    return [k for k in model.model_fields if k != "path"]


def _describe(err: ErrorDetails, data: dict[str, Any]) -> str:
    loc = err["loc"]
    msg = err["msg"]
    if msg.startswith("Value error, @"):  # a model-level error that names its own key
        key, _, text = msg.removeprefix("Value error, @").partition(": ")
        return f"{key}: {text}"
    key = _loc(loc)
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {near[0]!r}?" if near else f"expected one of: {', '.join(allowed)}"
        return f"{key}: unknown key; {hint}"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    msg = msg.removeprefix("Value error, ")
    if err["type"] in ("literal_error", "enum"):
        msg = msg.replace("Input should be", "expected")
        return f"{key}: {msg}, got {err.get('input')!r}"
    if err["type"].endswith("_type") or err["type"].endswith("_parsing"):
        return f"{key}: {msg.lower()}, got {err.get('input')!r}"
    return f"{key}: {msg}"


def _duplicate_ids(data: dict[str, Any]) -> list[str]:
    seen: set[str] = set()
    out = []
    sources = data.get("sources")
    for i, src in enumerate(sources if isinstance(sources, list) else []):
        sid = src.get("id") if isinstance(src, dict) else None
        if isinstance(sid, str) and sid in seen:
            out.append(
                f"sources[{i}].id: duplicate source id {sid!r}; each source needs its own id"
            )
        if isinstance(sid, str):
            seen.add(sid)
    return out


def config_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    return Path(cli_value or os.environ.get("SYNDICATE_CONFIG") or DEFAULT_CONFIG)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate a config file; raise ConfigError with every problem, each naming its key."""
    p = config_path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{p}: file not found (give --config PATH or set SYNDICATE_CONFIG)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None
    return settings_from_dict(data, p)


def settings_from_dict(data: dict[str, Any], path: Path | None = None) -> Settings:
    name = str(path) if path else "<config>"
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        lines = [f"{name}: {_describe(e, data)}" for e in exc.errors()]
        # Pydantic skips model-level checks when fields fail; report duplicates anyway.
        lines += [f"{name}: {d}" for d in _duplicate_ids(data) if f"{name}: {d}" not in lines]
        raise ConfigError("\n".join(lines)) from None
    settings = settings.model_copy(update={"path": path.resolve() if path else None})
    return settings


def resolve_storage_url(settings: Settings) -> str:
    """SQLite paths are relative to the config file's folder, so the service runs from anywhere."""
    url = settings.storage.url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and settings.path:
        rel = url[len(prefix) :]
        if rel and rel != ":memory:":
            return prefix + str(settings.path.parent / rel)
    return url

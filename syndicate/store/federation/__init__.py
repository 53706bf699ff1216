"""Federation storage, one module per table (as Miniflux's internal/storage does):

keys (ap_keys), followers (ap_followers), remote_actors (ap_remote_actors), seen_signatures
(ap_seen_signatures), activities (ap_activities), deliveries (ap_deliveries), servers
(ap_servers), reactions (ap_reactions), quote_stamps (ap_quote_stamps), replies (ap_replies).
The domain types live in syndicate.models.federation. Delivery's position in article_events is
an event cursor (store/cursors.py), like every other follower's.
"""

from __future__ import annotations

from syndicate.store.federation.activities import ActivityQueries
from syndicate.store.federation.deliveries import DeliveryQueries
from syndicate.store.federation.followers import FollowerQueries
from syndicate.store.federation.keys import KeyQueries
from syndicate.store.federation.quote_stamps import QuoteStampQueries
from syndicate.store.federation.reactions import ReactionQueries
from syndicate.store.federation.remote_actors import RemoteActorQueries
from syndicate.store.federation.replies import ReplyQueries
from syndicate.store.federation.seen_signatures import SeenSignatureQueries
from syndicate.store.federation.servers import ServerQueries

__all__ = ["FederationQueries"]


class FederationQueries(
    KeyQueries,
    FollowerQueries,
    RemoteActorQueries,
    SeenSignatureQueries,
    ActivityQueries,
    DeliveryQueries,
    ServerQueries,
    ReactionQueries,
    QuoteStampQueries,
    ReplyQueries,
):
    """Every federation query family, mixed into Store."""

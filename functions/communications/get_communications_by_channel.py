from shared.api import operation
from shared.communications import service
from shared.communications.models import CHANNELS
from shared.communications.models.communication import ChannelCommunicationsQuery, CommunicationPage


@operation("GET /communications/by-channel/{channel}", permission="communications:read", tenant="required",
           path={"channel": CHANNELS}, query=ChannelCommunicationsQuery, out=CommunicationPage)
def handler(req):
    """getCommunicationsByChannel: one channel's messages, newest first, from its index."""
    return service.channel_communications(req.scope, req.path["channel"], req.query)

"""What a tenant's export holds of the communications domain: every communication (GSI1, one partition),
as the API shows it (the send bookkeeping stays out); exportCommunications may write it as CSV, in the
seed's field order (nested fields as JSON)."""

from shared.communications.store import Communication, comms_partition
from shared.db.export import ExportSource

COLUMNS = ("id", "client_id", "channel", "direction", "to_number", "from_number", "to_email", "from_email",
           "content", "subject", "message_type", "template_id", "campaign_id", "status", "provider", "provider_id",
           "provider_status", "provider_response", "cost", "segments", "media_urls", "attachments", "error_message",
           "error_code", "retry_count", "metadata", "user_id", "member_id", "sent_at", "delivered_at", "read_at",
           "clicked_at", "replied_at", "created_at", "updated_at", "status_history", "version")

SOURCES = (ExportSource("communication", Communication, comms_partition, index="GSI1", position=40,
                        columns=COLUMNS),)

"""Domain signals supplies sends for higher apps to react to (connected in their ready())."""

from django.dispatch import Signal

# Sent after commit when a round closes, by hand or when its closing time comes.
# Arguments: supply_round (SupplyRound), by (User or None).
round_closed = Signal()

"""Domain signals the register sends for higher apps to react to (connected in their ready())."""

from django.dispatch import Signal

# Sent after commit when buildings change closure level.
# Arguments: changes (list of ClosureChange).
closure_changed = Signal()

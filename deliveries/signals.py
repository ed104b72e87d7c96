"""Domain signals deliveries sends for the apps that asked for a delivery (connected in their
ready()): `deliveries` never knows why a delivery exists, the asking app does."""

from django.dispatch import Signal

# Sent after commit when a delivery is marked delivered or failed at the door (a repeated tap
# sends nothing). Arguments: delivery (Delivery), status (DeliveryStatus.DELIVERED or
# FAILED), by (the User who tapped or recorded it), at (the moment of the tap).
delivery_finished = Signal()

"""What medical does when a lower app reports a change (connected in MedicalConfig.ready)."""

from medical.services.medicine import medicine_follow_delivery


def follow_delivery(sender, delivery, status, by=None, at=None, **kwargs) -> None:
    medicine_follow_delivery(delivery_id=delivery.pk, status=status, by=by, at=at)

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError


class SoldOut(ApplicationError):
    def __init__(self, offer) -> None:
        super().__init__(
            _("%(package)s is sold out or has fewer packs left than you asked for.")
            % {"package": offer.package_type.name},
            extra={"code": "sold_out", "offer": offer.pk},
        )
        self.offer = offer


class RoundNotOpen(ApplicationError):
    def __init__(self, supply_round) -> None:
        super().__init__(
            _("The round %(title)s is not open for orders.") % {"title": supply_round.title},
            extra={"code": "round_not_open"},
        )

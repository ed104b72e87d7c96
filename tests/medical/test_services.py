"""Medicine requests from filing to closing: every step recorded, every refusal said."""

from decimal import Decimal

import pytest

from core.exceptions import ApplicationError
from deliveries.models import Delivery, DeliveryEvent, DeliveryKind, DeliveryStatus
from deliveries.services.fulfilment import delivery_complete
from medical import selectors
from medical.models import Holder, MedicineEvent, MedicineItem, MedicineStatus, Urgency
from medical.services import medicine
from medical.services.medicine import custody_log

S = MedicineStatus


def codes(error) -> str:
    return error.value.extra["code"]


class TestFiling:
    def test_it_files_a_request_with_items_and_records_it(self, submitted, resident_user):
        assert submitted.status == S.SUBMITTED
        assert [item.medicine for item in submitted.items.all()] == ["硝苯地平控释片", "二甲双胍"]
        event = submitted.events.get()
        assert (event.from_status, event.to_status, event.actor) == ("", S.SUBMITTED, resident_user)

    def test_it_refuses_a_request_without_medicine(self, file_request):
        with pytest.raises(ApplicationError) as error:
            file_request(items=[{"medicine": " "}])
        assert codes(error) == "no_items"
        assert error.value.message == "Name at least one medicine."

    def test_it_refuses_a_quantity_of_0_instead_of_storing_one(self, file_request):
        with pytest.raises(ApplicationError) as error:
            file_request(items=[{"medicine": "二甲双胍", "quantity": 0}])
        assert codes(error) == "invalid"
        assert not MedicineItem.objects.exists()

    def test_an_item_without_a_quantity_is_one(self, file_request):
        filed = file_request(
            items=[{"medicine": "二甲双胍"}, {"medicine": "胰岛素", "quantity": ""}]
        )
        assert [item.quantity for item in filed.items.all()] == [1, 1]

    def test_it_refuses_a_request_without_a_hospital(self, file_request):
        with pytest.raises(ApplicationError) as error:
            file_request(hospital="  ")
        assert codes(error) == "required"


class TestTheWholeWay:
    def test_it_moves_through_every_step_and_records_each(self, delivered, staff, runner, resident):
        request = medicine.medicine_request_close(request=delivered, by=staff)
        assert request.status == S.CLOSED
        steps = list(request.events.values_list("from_status", "to_status"))
        assert steps == [
            ("", S.SUBMITTED),
            (S.SUBMITTED, S.TRIAGED),
            (S.TRIAGED, S.ASSIGNED),
            (S.ASSIGNED, S.PURCHASING),
            (S.PURCHASING, S.PURCHASED),
            (S.PURCHASED, S.DELIVERED),
            (S.DELIVERED, S.CLOSED),
        ]
        assert (request.cost, request.receipt) == (Decimal("36.50"), "R-001")
        delivery = request.delivery
        assert (delivery.kind, delivery.key, delivery.household) == (
            DeliveryKind.MEDICINE,
            f"medicine:{request.pk}",
            resident.household,
        )
        assert (delivery.volunteer, delivery.assigned_by) == (runner, runner.user)
        assert delivery.status == DeliveryStatus.DELIVERED
        assert "硝苯地平控释片 30mg × 2" in delivery.items

    def test_it_triages_with_a_new_urgency(self, submitted, staff):
        request = medicine.medicine_request_triage(
            request=submitted, urgency=Urgency.GREEN, by=staff
        )
        assert (request.status, request.urgency) == (S.TRIAGED, Urgency.GREEN)

    def test_it_makes_one_delivery_with_one_event_when_purchased(self, purchased):
        assert Delivery.objects.filter(key=f"medicine:{purchased.pk}").count() == 1
        assert DeliveryEvent.objects.filter(delivery=purchased.delivery).count() == 1
        with pytest.raises(ApplicationError):
            medicine.medicine_request_purchased(request=purchased, by=purchased.volunteer.user)
        assert Delivery.objects.filter(kind=DeliveryKind.MEDICINE).count() == 1

    def test_it_marks_the_request_delivered_when_its_delivery_was_delivered(
        self, purchased, runner, staff
    ):
        from django.utils import timezone

        delivery_complete(delivery=purchased.delivery, by=runner.user, tapped_at=timezone.now())
        request = medicine.medicine_request_close(request=purchased, by=staff)
        assert request.status == S.CLOSED
        assert request.events.filter(to_status=S.DELIVERED).exists()


class TestSubstitutes:
    def _propose(self, request, runner):
        item = request.items.first()
        return medicine.medicine_substitute_propose(
            request=request, item=item, substitute="氨氯地平 5mg", note="原药缺货", by=runner.user
        )

    def test_the_resident_confirms_a_substitute_then_it_is_bought(
        self, purchasing, runner, resident_user
    ):
        request = self._propose(purchasing, runner)
        assert request.status == S.SUBSTITUTE_PENDING
        request = medicine.medicine_substitute_confirm(request=request, by=resident_user)
        assert (request.status, request.substitute_confirmed) == (S.PURCHASING, True)
        request = medicine.medicine_request_purchased(request=request, by=runner.user)
        assert request.status == S.PURCHASED
        assert "氨氯地平 5mg" in request.delivery.items

    def test_staff_refuse_a_substitute_after_a_call_with_the_doctor(
        self, purchasing, runner, staff
    ):
        request = self._propose(purchasing, runner)
        request = medicine.medicine_substitute_refuse(request=request, by=staff)
        assert (request.status, request.substitute_confirmed) == (S.PURCHASING, False)
        assert not request.items.exclude(substitute="").exists()

    def test_it_refuses_buying_before_the_substitute_is_confirmed(self, purchasing, runner):
        request = self._propose(purchasing, runner)
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_request_purchased(request=request, by=runner.user)
        assert codes(error) == "substitute_unconfirmed"
        request.refresh_from_db()
        assert request.status == S.SUBSTITUTE_PENDING
        assert not Delivery.objects.exists()

    def test_it_refuses_a_volunteer_confirming_their_own_substitute(self, purchasing, runner):
        request = self._propose(purchasing, runner)
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_substitute_confirm(request=request, by=runner.user)
        assert codes(error) == "not_allowed"

    def test_it_refuses_another_household_deciding(self, purchasing, runner, neighbour):
        request = self._propose(purchasing, runner)
        with pytest.raises(ApplicationError):
            medicine.medicine_substitute_confirm(request=request, by=neighbour)


class TestRefusals:
    @pytest.mark.parametrize(
        "step",
        [
            lambda r, staff, runner: medicine.medicine_request_purchasing(request=r, by=staff),
            lambda r, staff, runner: medicine.medicine_request_purchased(request=r, by=staff),
            lambda r, staff, runner: medicine.medicine_request_delivered(request=r, by=staff),
            lambda r, staff, runner: medicine.medicine_request_close(request=r, by=staff),
            lambda r, staff, runner: medicine.medicine_request_assign(
                request=r, volunteer=runner, by=staff
            ),
            lambda r, staff, runner: medicine.medicine_substitute_confirm(request=r, by=staff),
        ],
        ids=["purchasing", "purchased", "delivered", "close", "assign", "confirm"],
    )
    def test_it_refuses_a_step_out_of_order(self, submitted, staff, runner, step):
        with pytest.raises(ApplicationError) as error:
            step(submitted, staff, runner)
        assert codes(error) == "out_of_order"
        submitted.refresh_from_db()
        assert submitted.status == S.SUBMITTED
        assert MedicineEvent.objects.filter(request=submitted).count() == 1

    def test_it_says_what_the_status_is(self, assigned, staff):
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_request_delivered(request=assigned, by=staff)
        assert error.value.message == "This request is Assigned; it cannot become Delivered now."

    def test_it_refuses_closing_while_a_volunteer_holds_the_card(self, delivered, staff, runner):
        custody_log(request=delivered, item="card", to_holder=Holder.VOLUNTEER, by=runner.user)
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_request_close(request=delivered, by=staff)
        assert codes(error) == "card_not_returned"
        assert "Insurance card" in error.value.message
        custody_log(request=delivered, item="card", to_holder=Holder.RESIDENT, by=runner.user)
        assert medicine.medicine_request_close(request=delivered, by=staff).status == S.CLOSED

    def test_it_refuses_another_volunteer_acting(self, assigned, other_runner):
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_request_purchasing(request=assigned, by=other_runner.user)
        assert codes(error) == "not_allowed"

    def test_it_refuses_a_resident_triaging(self, submitted, resident_user):
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_request_triage(request=submitted, by=resident_user)
        assert codes(error) == "not_allowed"

    def test_it_refuses_staff_of_another_committee(self, submitted, other_staff):
        with pytest.raises(ApplicationError):
            medicine.medicine_request_triage(request=submitted, by=other_staff)

    def test_it_refuses_a_volunteer_of_another_committee(self, triaged, staff, outside_runner):
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_request_assign(request=triaged, volunteer=outside_runner, by=staff)
        assert codes(error) == "volunteer_not_eligible"

    def test_it_refuses_a_volunteer_not_approved(self, triaged, staff, committee, make_volunteer):
        pending = make_volunteer(committee, "待批", approved=False)
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_request_assign(request=triaged, volunteer=pending, by=staff)
        assert codes(error) == "volunteer_not_eligible"

    def test_it_refuses_cancelling_after_buying(self, purchased, resident_user):
        with pytest.raises(ApplicationError) as error:
            medicine.medicine_request_cancel(request=purchased, by=resident_user)
        assert codes(error) == "out_of_order"

    def test_the_resident_cancels_a_submitted_request(self, submitted, resident_user):
        request = medicine.medicine_request_cancel(request=submitted, by=resident_user)
        assert request.status == S.CANCELLED

    def test_the_volunteer_marks_a_medicine_unavailable(self, purchasing, runner):
        request = medicine.medicine_request_unavailable(
            request=purchasing, by=runner.user, note="全市缺货"
        )
        assert request.status == S.UNAVAILABLE
        assert request.events.last().note == "全市缺货"


class TestRuns:
    def test_it_groups_open_requests_by_hospital_and_gives_a_run_to_one_volunteer(
        self, file_request, staff, runner, resident
    ):
        rows = [
            file_request(hospital="瑞金医院", urgency=Urgency.GREEN),
            file_request(hospital="瑞金医院", urgency=Urgency.RED),
            file_request(hospital="华山医院", urgency=Urgency.YELLOW),
            file_request(hospital="华山医院"),  # never triaged: not in a run
        ]
        for row in rows[:3]:
            medicine.medicine_request_triage(request=row, by=staff)
        runs = selectors.runs_by_hospital(selectors.medicine_requests_staffed_by(staff))
        assert [(run.hospital, [r.pk for r in run.requests]) for run in runs] == [
            ("华山医院", [rows[2].pk]),
            ("瑞金医院", [rows[1].pk, rows[0].pk]),
        ]
        assigned = medicine.medicine_run_assign(
            requests=runs[1].requests, volunteer=runner, by=staff
        )
        assert {(r.status, r.volunteer) for r in assigned} == {(S.ASSIGNED, runner)}
        for row in assigned:
            row = medicine.medicine_request_purchasing(request=row, by=runner.user)
            medicine.medicine_request_purchased(request=row, by=runner.user)
        deliveries = Delivery.objects.filter(kind=DeliveryKind.MEDICINE)
        assert deliveries.count() == 2
        assert set(deliveries.values_list("volunteer", flat=True)) == {runner.pk}

    def test_it_assigns_none_of_a_run_if_one_cannot_be_assigned(self, file_request, staff, runner):
        first = medicine.medicine_request_triage(request=file_request(), by=staff)
        second = file_request()  # not triaged
        with pytest.raises(ApplicationError):
            medicine.medicine_run_assign(requests=[first, second], volunteer=runner, by=staff)
        first.refresh_from_db()
        assert (first.status, first.volunteer) == (S.TRIAGED, None)

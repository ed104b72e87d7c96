from rest_framework.routers import DefaultRouter

from medical import api

router = DefaultRouter()
router.register("medicine-requests", api.MedicineRequestViewSet, basename="medicine-request")
router.register("custody-events", api.CustodyEventViewSet, basename="custody-event")
router.register("transports", api.TransportViewSet, basename="transport")
router.register("exit-passes", api.ExitPassViewSet, basename="exit-pass")
router.register(
    "vulnerable-residents", api.VulnerableResidentViewSet, basename="vulnerable-resident"
)

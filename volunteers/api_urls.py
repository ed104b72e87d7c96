from rest_framework.routers import DefaultRouter

from volunteers import api

router = DefaultRouter()
router.register("volunteers", api.VolunteerViewSet, basename="volunteer")
router.register("shifts", api.ShiftViewSet, basename="shift")

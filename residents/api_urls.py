from rest_framework.routers import DefaultRouter

from residents import api

router = DefaultRouter()
router.register("compounds", api.CompoundViewSet, basename="compound")
router.register("buildings", api.BuildingViewSet, basename="building")
router.register("households", api.HouseholdViewSet, basename="household")
router.register("residents", api.ResidentViewSet, basename="resident")

from rest_framework.routers import DefaultRouter

from deliveries import api, api_handover, api_meals, api_plans, api_replans

router = DefaultRouter()
router.register("collection-points", api.CollectionPointViewSet, basename="collection-point")
router.register("compound-policies", api.CompoundPolicyViewSet, basename="compound-policy")
router.register("deliveries", api_handover.DeliveryViewSet, basename="delivery")
router.register("pickups", api_handover.PickupViewSet, basename="pickup")
router.register("meal-enrolments", api_meals.MealEnrolmentViewSet, basename="meal-enrolment")
router.register("meal-days", api_meals.MealDayViewSet, basename="meal-day")
router.register("jobs", api.JobViewSet, basename="job")
router.register("replans", api_replans.ReplanViewSet, basename="replan")
# Only detail actions under rounds/{id}/: the list and detail of rounds/ are supplies'.
router.register("rounds", api_plans.RoundPlanViewSet, basename="round-plan")

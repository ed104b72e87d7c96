from rest_framework.routers import DefaultRouter

from supplies import api, api_orders

router = DefaultRouter()
router.register("suppliers", api.SupplierViewSet, basename="supplier")
router.register("package-types", api.PackageTypeViewSet, basename="package-type")
router.register("rounds", api.RoundViewSet, basename="round")
router.register("orders", api_orders.OrderViewSet, basename="order")

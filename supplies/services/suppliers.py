"""Suppliers and their package types, registered and licence-checked by staff of the street."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from residents.models import Street
from residents.selectors import committees_staffed_by
from supplies.models import Category, PackageType, Supplier

SUPPLIER_FIELDS = ("name", "licence_number", "contact_name", "contact_phone")
PACKAGE_TYPE_FIELDS = ("supplier", "name", "category", "contents", "unit_price", "essential")


def _require_staff_of(street: Street, by: User) -> None:
    if not committees_staffed_by(by).filter(street=street).exists():
        raise ApplicationError(
            _("Suppliers are registered by staff of their own street."),
            extra={"code": "wrong_street"},
        )


def _save_supplier(supplier: Supplier) -> None:
    if not supplier.name.strip():
        raise ApplicationError(_("Give the supplier a name."))
    if not supplier.licence_number.strip():
        raise ApplicationError(_("Give the supplier's licence number."))
    try:
        with transaction.atomic():
            supplier.save()
    except IntegrityError as error:
        raise ApplicationError(
            _("A supplier named %(name)s is already registered in this street.")
            % {"name": supplier.name}
        ) from error


@transaction.atomic
def supplier_create(
    *,
    street: Street,
    name: str,
    licence_number: str,
    by: User,
    contact_name: str = "",
    contact_phone: str = "",
) -> Supplier:
    """Register a supplier in the staff member's street; its licence is not yet checked."""
    _require_staff_of(street, by)
    supplier = Supplier(
        street=street,
        name=name.strip(),
        licence_number=licence_number.strip(),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        created_by=by,
        updated_by=by,
    )
    _save_supplier(supplier)
    return supplier


@transaction.atomic
def supplier_update(*, supplier: Supplier, by: User, **fields) -> Supplier:
    """Change a supplier's details; a new licence number must be checked again."""
    unknown = set(fields) - set(SUPPLIER_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    _require_staff_of(supplier.street, by)
    new_number = fields.get("licence_number", supplier.licence_number).strip()
    if new_number != supplier.licence_number:
        supplier.licence_checked_at = None
        supplier.licence_checked_by = None
    for name, value in fields.items():
        setattr(supplier, name, value.strip())
    supplier.updated_by = by
    _save_supplier(supplier)
    return supplier


@transaction.atomic
def supplier_check_licence(*, supplier: Supplier, by: User) -> Supplier:
    """Record that staff have seen the supplier's licence: a group buy needs it to be approved."""
    _require_staff_of(supplier.street, by)
    supplier.licence_checked_at = timezone.now()
    supplier.licence_checked_by = by
    supplier.updated_by = by
    supplier.save(
        update_fields=["licence_checked_at", "licence_checked_by", "updated_by", "updated_at"]
    )
    return supplier


def _save_package_type(package_type: PackageType, by: User) -> None:
    _require_staff_of(package_type.supplier.street, by)
    if not package_type.name.strip():
        raise ApplicationError(_("Give the package a name."))
    if package_type.category not in Category.values:
        raise ApplicationError(_("Unknown category of package."))
    if Decimal(package_type.unit_price) < 0:
        raise ApplicationError(_("A price cannot be negative."))
    package_type.save()


@transaction.atomic
def package_type_create(
    *,
    supplier: Supplier,
    name: str,
    category: str,
    by: User,
    contents: str = "",
    unit_price: Decimal = Decimal("0"),
    essential: bool = True,
) -> PackageType:
    """A kind of pack a supplier delivers, with its price and whether it is an essential good."""
    package_type = PackageType(
        supplier=supplier,
        name=name.strip(),
        category=category,
        contents=contents,
        unit_price=unit_price,
        essential=essential,
        created_by=by,
        updated_by=by,
    )
    _save_package_type(package_type, by)
    return package_type


@transaction.atomic
def package_type_update(*, package_type: PackageType, by: User, **fields) -> PackageType:
    unknown = set(fields) - set(PACKAGE_TYPE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    if "supplier" in fields:
        # Moving a package to another street's supplier must be allowed in both streets.
        _require_staff_of(package_type.supplier.street, by)
    for name, value in fields.items():
        setattr(package_type, name, value)
    package_type.updated_by = by
    _save_package_type(package_type, by)
    return package_type

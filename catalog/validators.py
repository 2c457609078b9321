"""What a product image and a price amount may be, checked on the model fields so every form gets it."""

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator
from django.template.defaultfilters import filesizeformat

# Stripe refuses a unit_amount above this, in any currency's minor unit.
STRIPE_MAX_UNIT_AMOUNT = 99_999_999

validate_stripe_unit_amount = MaxValueValidator(
    STRIPE_MAX_UNIT_AMOUNT,
    message=(
        "Enter at most 99,999,999, in the currency's smallest unit ($999,999.99 in dollars): "
        "Stripe does not take larger prices."
    ),
)

# Formats every browser shows and Pillow thumbnails; SVG is neither safe to serve nor thumbnailable.
PRODUCT_IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
PRODUCT_IMAGE_MAX_BYTES = 10 * 1024 * 1024
# A small file can hold a huge picture, and thumbnailing one takes memory by the pixel.
PRODUCT_IMAGE_MAX_MEGAPIXELS = 40


def validate_image_size(image):
    """At most 10 MB, and at most 40 megapixels (one check, so the model field is unchanged)."""
    if image.size > PRODUCT_IMAGE_MAX_BYTES:
        raise ValidationError(
            "This picture is %(size)s; upload one of at most 10 MB.",
            code="image_too_large",
            params={"size": filesizeformat(image.size)},
        )
    width, height = image.width, image.height
    if width and height and width * height > PRODUCT_IMAGE_MAX_MEGAPIXELS * 1_000_000:
        raise ValidationError(
            "This picture is %(width)s × %(height)s pixels (%(megapixels)s megapixels); upload one of "
            "at most %(limit)s megapixels.",
            code="image_too_many_pixels",
            params={
                "width": width,
                "height": height,
                "megapixels": round(width * height / 1_000_000, 1),
                "limit": PRODUCT_IMAGE_MAX_MEGAPIXELS,
            },
        )


PRODUCT_IMAGE_VALIDATORS = [
    FileExtensionValidator(
        PRODUCT_IMAGE_EXTENSIONS,
        message="Upload a JPEG, PNG, WebP or GIF picture (“%(extension)s” files cannot be shown).",
    ),
    validate_image_size,
]


def validate_option_axes(axes):
    """A product's options: a list of {"name": ..., "values": [...]}, names and values unique."""
    message = 'Give a list of options, each {"name": "Size", "values": ["S", "M"]}, names and values unique.'
    if not isinstance(axes, list):
        raise ValidationError(message, code="invalid_option_axes")
    names = []
    for axis in axes:
        if not isinstance(axis, dict) or set(axis) != {"name", "values"}:
            raise ValidationError(message, code="invalid_option_axes")
        name, values = axis["name"], axis["values"]
        if not isinstance(name, str) or not name.strip() or not isinstance(values, list) or not values:
            raise ValidationError(message, code="invalid_option_axes")
        if not all(isinstance(value, str) and value.strip() for value in values) or len(set(values)) != len(
            values
        ):
            raise ValidationError(message, code="invalid_option_axes")
        names.append(name)
    if len(set(names)) != len(names):
        raise ValidationError(message, code="invalid_option_axes")

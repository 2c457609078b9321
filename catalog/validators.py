"""What a product image and a price amount may be, checked on the model fields so every form gets it."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, URLValidator
from django.utils.text import Truncator

# Stripe refuses a unit_amount above this, in any currency's minor unit.
STRIPE_MAX_UNIT_AMOUNT = 99_999_999

validate_stripe_unit_amount = MaxValueValidator(
    STRIPE_MAX_UNIT_AMOUNT,
    message=(
        "Enter at most 99,999,999, in the currency's smallest unit ($999,999.99 in dollars): "
        "Stripe does not take larger prices."
    ),
)

_validate_https_url = URLValidator(schemes=["https"])
# A path of the shop's own static files ("catalog/demo/mug.svg"): no scheme, host or leading slash.
_SHOP_IMAGE_PATH = re.compile(r"[\w-]+(/[\w.-]+)*")


def is_safe_image(image) -> bool:
    """Return whether `image` is an https:// address or a path of the shop's own images."""
    if not isinstance(image, str):
        return False
    if _SHOP_IMAGE_PATH.fullmatch(image):
        return ".." not in image.split("/")
    try:
        _validate_https_url(image)
    except ValidationError:
        return False
    return True


def validate_product_images(images):
    if not isinstance(images, list) or not all(isinstance(image, str) for image in images):
        raise ValidationError("Give a list of image paths or URLs.", code="images_not_a_list")
    for image in images:
        if not is_safe_image(image):
            raise ValidationError(
                "“%(image)s” is not an image the shop can show. Use an https:// address or a path of "
                "the shop's own images, such as catalog/demo/mug.svg.",
                code="image_not_allowed",
                params={"image": Truncator(image).chars(60)},
            )

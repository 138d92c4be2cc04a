"""Errors of product media: files that are no photo a marketplace can show."""

from commerce.errors import N_, Conflict, ValidationFailed


class ImageRefused(ValidationFailed):
    """A file that is not taken as a product photo (422); nothing of it is stored."""


class ImageTooLarge(ImageRefused):
    code = "image_too_large"
    message = N_("The image is larger than {limit_mb} MB.")


class ImageTooManyPixels(ImageRefused):
    code = "image_too_many_pixels"
    message = N_("The image has more than {limit} million pixels.")


class ImageTypeNotAllowed(ImageRefused):
    code = "image_type_not_allowed"
    message = N_("Upload a JPEG, PNG or WebP image.")


class ImageUnreadable(ImageRefused):
    code = "image_unreadable"
    message = N_("The image file is damaged or incomplete.")


class ImageTooSmall(ImageRefused):
    code = "image_too_small"
    message = N_("The image must be at least {minimum} pixels wide and high.")


class ImageAnimated(ImageRefused):
    code = "image_animated"
    message = N_("Animated images are not taken; upload a still photo.")


class ImageMissing(ImageRefused):
    code = "file_required"
    message = N_("Attach the image as the multipart field 'file'.")


class NotThisProductsSku(ImageRefused):
    code = "sku_not_of_product"
    message = N_("The SKU does not belong to this product.")


class TooManyImages(Conflict):
    code = "too_many_images"
    message = N_("A product has at most {limit} images.")

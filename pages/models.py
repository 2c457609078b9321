"""The pages every shop needs (contact, shipping, returns, privacy, terms), written by staff."""

from django.db import models
from django.urls import reverse


class PageSlug(models.TextChoices):
    """The shop's pages, in the order the footer lists them; the footer and email link to each."""

    CONTACT = "contact", "Contact"
    SHIPPING = "shipping", "Shipping"
    RETURNS = "returns", "Returns"
    PRIVACY = "privacy", "Privacy"
    TERMS = "terms", "Terms"


class Page(models.Model):
    slug = models.SlugField(choices=PageSlug.choices, unique=True)
    title = models.CharField(max_length=120)
    body = models.TextField(
        help_text="Plain text: a blank line starts a new paragraph; web and email addresses become links."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("pages:detail", kwargs={"slug": self.slug})

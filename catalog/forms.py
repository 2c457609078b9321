from django import forms

from catalog.selectors import PriceKind, ProductSort


class ProductFilterForm(forms.Form):
    """Search, filter and sort the product list; invalid values fall back to the defaults."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": "Mugs, coffee, socks…"}),
    )
    kind = forms.ChoiceField(label="Type", required=False, choices=[("", "All products"), *PriceKind.choices])
    sort = forms.ChoiceField(label="Sort by", required=False, choices=ProductSort.choices)

    def filters(self):
        """Return the keyword arguments of catalog.selectors.product_list_page for this query."""
        cleaned = self.cleaned_data if self.is_valid() else getattr(self, "cleaned_data", {})
        return {
            "search": cleaned.get("q") or "",
            "kind": cleaned.get("kind") or "",
            "sort": cleaned.get("sort") or ProductSort.NEWEST,
        }

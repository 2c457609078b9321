"""Where a shopper follows a parcel: the tracking page of the carriers staff commonly ship with."""

import re
from urllib.parse import quote

# Carrier names as staff type them, lowercased with only letters and digits kept, to the carrier's
# public tracking page for a tracking number.
CARRIER_TRACKING_URLS = {
    "ups": "https://www.ups.com/track?tracknum={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={}",
    "dhlexpress": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={}",
    "royalmail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    "canadapost": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
    "dpd": "https://www.dpd.com/tracking/?parcelNumber={}",
    "auspost": "https://auspost.com.au/mypost/track/details/{}",
    "australiapost": "https://auspost.com.au/mypost/track/details/{}",
}


def tracking_url(carrier: str, tracking_number: str) -> str:
    """Return the carrier's tracking page for the number, or "" for a carrier not known here."""
    template = CARRIER_TRACKING_URLS.get(re.sub(r"[^a-z0-9]", "", (carrier or "").lower()))
    number = (tracking_number or "").strip()
    if not template or not number:
        return ""
    return template.format(quote(number, safe=""))

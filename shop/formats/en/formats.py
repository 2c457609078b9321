"""How dates read in admin and wherever a date is shown without a format of its own: one way,
"6 Dec 2026, 08:54", not the locale's "Dec. 6, 2026, 8:54 a.m." beside other spellings."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"

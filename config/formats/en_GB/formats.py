"""UK formats the tracker shows and accepts (settings.FORMAT_MODULE_PATH).

Django's own en_GB locale abbreviates months ("4 Mar 2026") and overrides the DATE_FORMAT setting;
dates here are written out in full ("4 March 2026") and times on the 24-hour clock. Anything not
set here falls back to Django's en_GB locale.
"""

DATE_FORMAT = "j F Y"  # 4 March 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j F Y, H:i"  # 4 March 2026, 14:30
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 04/03/2026 14:30

# Day first, always. ISO dates (2026-03-04) are accepted by Django in addition to these.
DATE_INPUT_FORMATS = [
    "%d/%m/%Y",  # 04/03/2026 and 4/3/2026
    "%d/%m/%y",  # 04/03/26
    "%d %B %Y",  # 4 March 2026
    "%d %b %Y",  # 4 Mar 2026
]

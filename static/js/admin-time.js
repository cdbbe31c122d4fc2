// The admin's dates and times are in the project's time zone, as the form says once at its top
// (cooperation.admin_errors.time_zone_note). Django's calendar and clock shortcuts
// (admin/js/admin/DateTimeShortcuts.js) add under every date and time input a note that the
// browser is so many hours ahead of or behind the server: noise for an editor abroad, and not
// what the form means. The shortcuts keep reading the server's offset
// (body[data-admin-utc-offset]), so that "Today" and "Now" are the project's today and now;
// only the note is left out. This script runs in <head>, before DateTimeShortcuts.js: it
// replaces the note's function once that script has defined it, before its init on window load,
// which also serves the rows an inline adds later.
'use strict';
{
    const quiet = function() {
        const shortcuts = window.DateTimeShortcuts;
        if (shortcuts && !shortcuts.quietAboutTimeZones) {
            shortcuts.addTimezoneWarning = function() {};
            shortcuts.quietAboutTimeZones = true;
        }
        for (const note of document.querySelectorAll('.timezonewarning')) {
            note.remove();
        }
    };
    document.addEventListener('DOMContentLoaded', quiet);
    // Registered before DateTimeShortcuts.js registers its init, so it runs first.
    window.addEventListener('load', quiet);
}

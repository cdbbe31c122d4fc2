// The admin's autocomplete boxes (Select2 4.0.13, vendored by Django) build their own controls
// beside the hidden <select> and name none of them: each gets its field's label here, and the
// "clear all" cross Select2 puts inside its list of choices is marked as one of its items.
"use strict";
{
    const labelId = (select) => {
        const label = document.querySelector(`label[for="${select.id}"]`);
        if (!label) {
            return null;
        }
        label.id ||= `${select.id}-label`;
        return label.id;
    };

    const nameFrom = (element, select) => {
        const id = labelId(select);
        if (id) {
            element.setAttribute("aria-labelledby", id);
        } else {
            // A tabular inline labels its fields by the column heading only.
            const heading = select.closest("table")?.querySelector(
                `th.column-${select.name.split("-").pop()}`
            );
            element.setAttribute("aria-label", (heading || select).textContent.trim());
        }
    };

    const label = (container) => {
        const select = container.previousElementSibling;
        if (!select || select.tagName !== "SELECT" || !select.id) {
            return;
        }
        const combobox = container.querySelector(".select2-selection[role=combobox]");
        const rendered = container.querySelector(".select2-selection__rendered[role=textbox]");
        if (combobox) {
            const id = labelId(select);
            combobox.setAttribute(
                "aria-labelledby", [id, rendered?.id].filter(Boolean).join(" ")
            );
            if (!id) {
                nameFrom(combobox, select);
            }
        }
        for (const control of container.querySelectorAll(
            ".select2-selection__rendered[role=textbox], .select2-search__field"
        )) {
            nameFrom(control, select);
        }
        for (const clear of container.querySelectorAll("ul > .select2-selection__clear")) {
            clear.setAttribute("role", "listitem");
        }
    };

    const labelDropdownSearch = (field) => {
        // The dropdown's search box lives apart, at the end of the page; its results list is
        // named after the <select> it serves: select2-<id>-results.
        const id = (field.getAttribute("aria-controls") || "").match(/^select2-(.+)-results$/);
        const select = id && document.getElementById(id[1]);
        if (select) {
            nameFrom(field, select);
        }
    };

    const labelAll = () => {
        document.querySelectorAll(".select2-container").forEach(label);
        document.querySelectorAll(".select2-dropdown .select2-search__field")
            .forEach(labelDropdownSearch);
    };

    // Select2 rebuilds parts of its controls on every change, so they are labelled again.
    let pending = false;
    new MutationObserver(() => {
        if (!pending) {
            pending = true;
            queueMicrotask(() => {
                pending = false;
                labelAll();
            });
        }
    }).observe(document.documentElement, {
        childList: true, subtree: true, attributeFilter: ["aria-controls"]
    });
    document.addEventListener("DOMContentLoaded", labelAll);
}

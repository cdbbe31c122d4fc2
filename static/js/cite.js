/* "Cite for…" on a source's page, for editors (cooperation/citing.py; the page loads this only
   for them). Selecting words in .source-text shows a button beside the selection; pressing it
   adds the passage to the "Cite a passage" panel as a new row: its words, and where they lie
   in the source's text. The panel works without this script: it only saves copying.

   The offsets count characters of Source.text as Python does (code points): the page's text
   nodes, leaving out the paragraph numbers (.para-no), are exactly that text. */
(function () {
  "use strict";

  var text = document.querySelector(".source-text");
  var panel = document.getElementById("cite-panel");
  if (!text || !panel) return;
  var rows = panel.querySelector(".cite-rows");
  var template = document.getElementById("cite-row-template");
  var total = panel.querySelector("input[name$='-TOTAL_FORMS']");
  var most = panel.querySelector("input[name$='-MAX_NUM_FORMS']");
  var status = document.getElementById("cite-status");
  var button = document.getElementById("cite-float");

  // The source's text as the page holds it, and where each of its text nodes begins in it.
  var nodes = [];
  var starts = [];
  var whole = "";
  var walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT, {
    acceptNode: function (node) {
      return node.parentElement.closest(".para-no") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
    }
  });
  for (var node = walker.nextNode(); node; node = walker.nextNode()) {
    nodes.push(node);
    starts.push(whole.length);
    whole += node.data;
  }

  // Where a boundary point (node, offset) falls in `whole`, in UTF-16 units.
  function offsetOf(container, offset) {
    var point = document.createRange();
    point.setStart(container, offset);
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i] === container) return starts[i] + offset;
      if (point.comparePoint(nodes[i], 0) >= 0) return starts[i];
    }
    return whole.length;
  }

  function codePoints(units) {
    return Array.from(whole.slice(0, units)).length;
  }

  // The selection's part inside the text, trimmed of white space: {start, end, words, range}.
  var pending = null;
  function selectedPassage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    var range = selection.getRangeAt(0).cloneRange();
    if (!range.intersectsNode(text)) return null;
    if (!text.contains(range.startContainer)) range.setStart(text, 0);
    if (!text.contains(range.endContainer)) range.setEnd(text, text.childNodes.length);
    var start = offsetOf(range.startContainer, range.startOffset);
    var end = offsetOf(range.endContainer, range.endOffset);
    while (start < end && /\s/.test(whole[start])) start++;
    while (end > start && /\s/.test(whole[end - 1])) end--;
    if (start >= end) return null;
    return { start: codePoints(start), end: codePoints(end), words: whole.slice(start, end), range: range };
  }

  function hide() {
    button.hidden = true;
    pending = null;
  }

  // Beside the selection's last line. Positions are set through the CSSOM, which a
  // style-src 'self' policy allows (it refuses style attributes and <style> only).
  function show(passage) {
    pending = passage;
    button.hidden = false;
    var lines = passage.range.getClientRects();
    var last = lines.length ? lines[lines.length - 1] : passage.range.getBoundingClientRect();
    var origin = button.offsetParent ? button.offsetParent.getBoundingClientRect() : { top: 0, left: 0 };
    var room = document.documentElement.clientWidth - button.offsetWidth - 8;
    var left = Math.max(8, Math.min(last.right - 20, room));
    button.style.top = Math.round(last.bottom + 6 - origin.top) + "px";
    button.style.left = Math.round(left - origin.left) + "px";
  }

  var scheduled = false;
  function update() {
    scheduled = false;
    var passage = selectedPassage();
    if (passage) show(passage);
    else hide();
  }

  function emptyRow() {
    var boxes = rows.querySelectorAll("textarea");
    for (var i = 0; i < boxes.length; i++) {
      if (!boxes[i].value.trim()) return boxes[i].closest(".cite-row");
    }
    return null;
  }

  function newRow() {
    var index = Number(total.value);
    if (most && index >= Number(most.value)) return null;
    var holder = document.createElement("ol");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector(".cite-row");
    rows.appendChild(row);
    total.value = String(index + 1);
    showRemoveButtons();
    return row;
  }

  // Only a row among others can be removed.
  function showRemoveButtons() {
    var buttons = rows.querySelectorAll(".cite-remove");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = buttons.length < 2;
  }

  function field(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }

  function add(passage, byKeyboard) {
    var row = emptyRow() || newRow();
    if (!row) {
      status.textContent = status.dataset.full;
      return;
    }
    field(row, "start").value = passage.start;
    field(row, "end").value = passage.end;
    field(row, "words").value = passage.words;
    status.textContent = status.dataset.added;
    window.getSelection().removeAllRanges();
    hide();
    if (byKeyboard) field(row, "words").focus();
  }

  // The button sits right after the text, so Tab from a selection made there reaches it.
  text.insertAdjacentElement("afterend", button);
  showRemoveButtons();

  document.addEventListener("selectionchange", function () {
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(update);
    }
  });
  // Pressing the button must not take the selection away before it is read.
  button.addEventListener("mousedown", function (event) {
    event.preventDefault();
  });
  button.addEventListener("click", function (event) {
    var passage = pending || selectedPassage();
    if (passage) add(passage, event.detail === 0);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !button.hidden) hide();
  });
  window.addEventListener("resize", function () {
    if (!button.hidden) update();
  });

  rows.addEventListener("click", function (event) {
    var remove = event.target.closest(".cite-remove");
    if (!remove) return;
    var row = remove.closest(".cite-row");
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove(); // a missing row is a blank one: the form leaves it out
    showRemoveButtons();
    field(next, "words").focus();
  });
  // Words typed over are no longer the selection the offsets point at.
  rows.addEventListener("input", function (event) {
    if (!event.target.matches("textarea")) return;
    var row = event.target.closest(".cite-row");
    field(row, "start").value = "";
    field(row, "end").value = "";
  });
})();

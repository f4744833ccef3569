// Sticky Calls console: progressive behaviour only; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons: <button data-copy="element-id">.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const status = document.getElementById(button.dataset.copy + "-status");
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        if (status) status.textContent = "Copied.";
      } catch (e) {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        if (status) status.textContent = "Selected: press Ctrl+C (or Cmd+C) to copy.";
      }
    });
  }
  // Typed confirmations: <input data-confirm="text"> enables its form's submit button
  // only once the text is typed exactly (the server checks it again).
  for (const input of document.querySelectorAll("input[data-confirm]")) {
    const button = input.form.querySelector("button[type=submit]");
    const update = () => { button.disabled = input.value !== input.dataset.confirm; };
    input.addEventListener("input", update);
    update();
  }
});

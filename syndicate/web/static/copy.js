// Progressive enhancement: the handle is a selectable read-only field without JavaScript;
// with it, a "copy" button appears next to it.
document.querySelectorAll("button.copy[data-copy]").forEach((button) => {
  if (!navigator.clipboard) return;
  button.hidden = false;
  const label = button.innerHTML;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Tersalin ✓ Copied";
    } catch (e) {
      button.previousElementSibling?.select();
      return;
    }
    setTimeout(() => { button.innerHTML = label; }, 2000);
  });
});
document.querySelectorAll("input[data-handle]").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});

// The dashboard's only script: copy buttons, expiry countdowns and confirmations. Every page
// works without it.
"use strict";

document.querySelectorAll("button.copy").forEach((button) => {
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      field.select();
      document.execCommand("copy");
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
});

document.querySelectorAll(".countdown").forEach((element) => {
  const expiresAt = Number(element.dataset.expiresAt) * 1000;
  const tick = () => {
    const left = Math.round((expiresAt - Date.now()) / 1000);
    if (left <= 0) {
      element.textContent = "(expired)";
      return;
    }
    const minutes = Math.floor(left / 60);
    element.textContent = `(in ${minutes > 0 ? `${minutes} min ` : ""}${left % 60} s)`;
    setTimeout(tick, 1000);
  };
  tick();
});

document.querySelectorAll("[data-confirm]").forEach((button) => {
  button.addEventListener("click", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
});

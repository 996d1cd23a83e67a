// Progressive enhancement for the emulator panel: refresh the journal while "live" is on.
(function () {
  const box = document.getElementById("live");
  const body = document.getElementById("journal-rows");
  if (!box || !body) return;
  let timer = null;
  async function refresh() {
    const url = new URL(body.dataset.source, window.location.href);
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) body.innerHTML = await response.text();
  }
  function toggle() {
    if (timer) { clearInterval(timer); timer = null; }
    if (box.checked) timer = setInterval(refresh, 2000);
  }
  box.addEventListener("change", toggle);
  toggle();
})();

// Follow the system's light or dark setting (Bootstrap's data-bs-theme).
(function () {
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    document.documentElement.dataset.bsTheme = dark.matches ? "dark" : "light";
  }
  apply();
  dark.addEventListener("change", apply);
})();

// Bring the cited passage into view and give it focus, so keyboard and screen-reader users land on it.
document.addEventListener("DOMContentLoaded", () => {
  const cited = document.querySelector(".passage.cited") ||
    (location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1))));
  if (cited) {
    cited.classList.add("cited");
    cited.scrollIntoView({ block: "center" });
    cited.focus({ preventScroll: true });
  }
});

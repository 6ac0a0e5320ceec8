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

// An upload job's page: poll its JSON and update the polite status region in place, instead of the
// reload that <noscript> keeps for browsers without JavaScript (a reload resets a screen reader).
document.addEventListener("DOMContentLoaded", () => {
  const status = document.querySelector("#job-status[data-job-url]");
  if (!status) return;
  const poll = async () => {
    let job;
    try {
      job = await (await fetch(status.dataset.jobUrl, { headers: { Accept: "application/json" } })).json();
    } catch {
      setTimeout(poll, 4000);
      return;
    }
    if (!job.done) {
      status.querySelector("strong").textContent = job.label;
      setTimeout(poll, 2000);
      return;
    }
    const page = new DOMParser().parseFromString(await (await fetch(location.href)).text(), "text/html");
    document.title = page.title;
    document.getElementById("job-result").replaceChildren(...page.getElementById("job-result").childNodes);
    const done = page.getElementById("job-status");
    status.className = done.className;
    status.replaceChildren(...done.childNodes);
    delete status.dataset.jobUrl;
  };
  setTimeout(poll, 2000);
});

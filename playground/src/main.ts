// The playground's entry: build the page, then restore a shared link's state if the URL has one.
import "./style.css";
import { App } from "./app.js";

const app = new App();
// For the browser tests and the budget script: the controller, and a promise for "verified".
(window as unknown as { bpfkitPlayground: App }).bpfkitPlayground = app;
void (async () => {
  if (!(await app.restore(location.hash))) app.verifyNow();
  document.body.dataset.ready = "1";
})();
window.addEventListener("hashchange", () => { void app.restore(location.hash); });

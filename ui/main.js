// Entry point of the Authdeck window: wires the views to the app's commands and events.
import { startNotices } from "./notices.js";

startNotices(document.getElementById("notices"));

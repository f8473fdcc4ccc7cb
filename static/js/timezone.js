// The person's time zone, as this browser knows it. The sign-up form sends it
// in its hidden [data-browser-time-zone] field (without this script the site's
// zone is kept, changeable on the profile). On the profile, the time zone
// field [data-time-zone-names] is offered every zone name the browser knows,
// and a button to take this device's zone; the plain text field works alone.
import { gettext, interpolate } from "./i18n.js";

function browserTimeZone() {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    // What a browser says when its system does not tell it.
    return zone === "Etc/Unknown" ? "" : zone;
  } catch {
    return "";
  }
}

function knownTimeZones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return []; // An older browser: the field still takes a typed name.
  }
}

function suggestNames(field, deviceZone) {
  const list = document.createElement("datalist");
  list.id = `${field.id}-names`;
  const names = [deviceZone, ...knownTimeZones().filter((name) => name !== deviceZone)];
  for (const name of names.filter(Boolean)) {
    const option = document.createElement("option");
    option.value = name;
    list.append(option);
  }
  field.after(list);
  field.setAttribute("list", list.id);
}

function offerDeviceZone(field, deviceZone) {
  if (!deviceZone || field.value === deviceZone) {
    return;
  }
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-outline-secondary mb-3 use-device-time-zone";
  button.textContent = interpolate(gettext("Use this device's time zone: %(zone)s"), { zone: deviceZone }, true);
  button.addEventListener("click", () => {
    field.value = deviceZone;
    field.focus();
  });
  // After the field's help text: crispy wraps a field with it in #div_<id>.
  (document.getElementById(`div_${field.id}`) ?? field).after(button);
}

const deviceZone = browserTimeZone();

for (const field of document.querySelectorAll("input[data-browser-time-zone]")) {
  field.value = deviceZone;
}

for (const field of document.querySelectorAll("input[data-time-zone-names]")) {
  offerDeviceZone(field, deviceZone);
  suggestNames(field, deviceZone);
}

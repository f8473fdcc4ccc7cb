// The words of the scripts, in the page's language: Django's JavaScript
// catalogue (the script at {% url 'javascript-catalog' %}, a classic script
// placed before the modules) defines gettext, ngettext and interpolate on
// the window. Where it did not load (an old kept page, a failed request),
// these fall back to the English they are given, so a page still works.
// Read at each call, so a module loaded first still finds a late catalogue.

function catalogue() {
  const django = globalThis.django;
  return django && typeof django.gettext === "function" ? django : null;
}

export function gettext(msgid) {
  return catalogue()?.gettext(msgid) ?? msgid;
}

export function ngettext(singular, plural, count) {
  const django = catalogue();
  if (django) {
    return django.ngettext(singular, plural, count);
  }
  return count === 1 ? singular : plural;
}

export function pgettext(context, msgid) {
  const django = catalogue();
  return django ? django.pgettext(context, msgid) : msgid;
}

// ``interpolate("%(count)s s", { count: 3 }, true)``: named placeholders
// only, so a translation may put them in any order.
export function interpolate(format, values, named = true) {
  const django = catalogue();
  if (django) {
    return django.interpolate(format, values, named);
  }
  if (named) {
    return format.replace(/%\(\w+\)s/g, (match) => String(values[match.slice(2, -2)]));
  }
  let index = 0;
  return format.replace(/%s/g, () => String(values[index++]));
}

// The page's language as <html lang> says it, e.g. "en-GB" or "zh-Hans".
export function pageLanguage() {
  return document.documentElement.lang || "en";
}

// The path prefix of the page's language: "/zh-hans" on a page under
// /zh-hans/, "" for the language whose addresses have none (English).
export function languagePrefix(pathname = window.location.pathname) {
  const lang = pageLanguage().toLowerCase();
  return pathname.toLowerCase().startsWith(`/${lang}/`) ? pathname.slice(0, lang.length + 1) : "";
}

// ``pathname`` without the language prefix, to match the site's addresses.
export function withoutPrefix(pathname = window.location.pathname) {
  return pathname.slice(languagePrefix(pathname).length) || "/";
}

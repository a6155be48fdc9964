// Finds the first visible consent button (selectors first, then button words) and
// marks it with the data-capture-consent attribute for Playwright to click.
([selectors, words]) => {
  const shown = (el) => { const box = el.getBoundingClientRect(); const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none'; };
  const mark = (el, what) => { el.setAttribute('data-capture-consent', '1'); return what; };
  for (const selector of selectors) {
    let el = null; try { el = document.querySelector(selector); } catch (e) { continue; }
    if (el && shown(el)) return mark(el, selector);
  }
  const clickable = [...document.querySelectorAll('button, a, [role=button], input[type=button], input[type=submit]')];
  for (const word of words) for (const el of clickable) {
    const text = (el.innerText || el.value || '').trim().toLowerCase();
    if (text === word && shown(el)) return mark(el, 'text:' + word);
  }
  return null;
}

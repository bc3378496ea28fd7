// The widget's styles, inside its shadow root: the page's CSS does not reach in and ours does not leak out.
// Colours other than the site's pass WCAG AA on white; the site's text colour is checked against its colour (readableText).

export function css(colour: string, text: string): string {
  const c = /^#[0-9a-f]{3,8}$/i.test(colour) ? colour : "#1f6feb";
  const t = /^#[0-9a-f]{3,8}$/i.test(text) ? text : "#ffffff";
  return `
:host{all:initial}
.ld{--c:${c};--t:${t};--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f0f2f5;--bad:#b42318;
letter-spacing:normal;word-spacing:normal;text-transform:none;text-align:left;text-indent:0;text-shadow:none;white-space:normal;
visibility:visible;direction:ltr;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif;color:var(--ink);
position:fixed;bottom:20px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;gap:12px}
.ld.right{right:20px}.ld.left{left:20px;align-items:flex-start}
.ld *{box-sizing:border-box}
[hidden]{display:none!important}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button,input,textarea{font:inherit;color:inherit}
button{cursor:pointer}
:focus{outline:none}
:focus-visible,.log:focus-visible{outline:none;box-shadow:0 0 0 2px #fff,0 0 0 4px #0b3d91}
svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.launcher{order:3;width:56px;height:56px;border-radius:50%;border:0;background:var(--c);color:var(--t);display:grid;place-items:center;
position:relative;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.launcher svg{width:26px;height:26px}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:var(--bad);color:#fff;
font-size:12px;font-weight:700;line-height:20px;text-align:center}
.invite{order:1;position:relative;max-width:300px;background:var(--bg);border:1px solid var(--line);border-radius:12px;padding:14px 40px 14px 14px;
box-shadow:0 6px 24px rgba(0,0,0,.18)}
.invite p{margin:0 0 10px}
.panel{order:2;width:370px;max-width:calc(100vw - 24px);height:min(580px,calc(100vh - 110px));display:flex;flex-direction:column;background:var(--bg);
border-radius:14px;overflow:hidden;box-shadow:0 10px 40px rgba(0,0,0,.28);animation:rise .18s ease-out}
@keyframes rise{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}
header{display:flex;align-items:center;gap:8px;padding:12px 10px 12px 16px;background:var(--c);color:var(--t)}
.title{flex:1;min-width:0}
h2{margin:0;font-size:17px;font-weight:650;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sub{margin:0;font-size:13px}.sub:empty{display:none}
.icon{border:0;background:transparent;color:inherit;width:36px;height:36px;border-radius:8px;display:grid;place-items:center;flex:none}
.icon:hover{background:rgba(127,127,127,.18)}
.dismiss{position:absolute;top:6px;right:6px;color:var(--muted)}
.link{border:0;background:transparent;color:inherit;text-decoration:underline;padding:6px;border-radius:6px;font-size:14px}
.body{flex:1;min-height:0;display:flex;flex-direction:column}
.form,.done{padding:16px;overflow:auto;display:flex;flex-direction:column;gap:12px}
.intro{margin:0}
.field{display:flex;flex-direction:column;gap:4px}
label{font-weight:600;font-size:14px}
input,textarea{width:100%;border:1px solid #8c959f;border-radius:8px;padding:8px 10px;background:#fff}
textarea{resize:none}
[aria-invalid=true]{border-color:var(--bad)}
.hint{margin:0;font-size:13px;color:var(--muted)}
.error{margin:0;color:var(--bad);font-size:14px}.error:empty{display:none}
.primary,.secondary{border-radius:8px;padding:9px 16px;font-weight:600;border:1px solid var(--c)}
.primary{background:var(--c);color:var(--t)}
.secondary{background:#fff;color:var(--ink);border-color:#8c959f}
.primary:disabled{opacity:.6;cursor:wait}
.wide{width:100%}
.status{margin:0;padding:10px 16px;background:var(--soft);font-size:14px;border-bottom:1px solid var(--line)}
.status.warn{background:#fff4e5}
.longer{display:block;margin-top:4px;font-weight:600}
.log{flex:1;overflow-y:auto;padding:14px 14px 4px;display:flex;flex-direction:column;gap:10px}
.msg{display:flex;flex-direction:column;max-width:85%}
.msg p{margin:0}
.bubble{padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.visitor{align-self:flex-end;align-items:flex-end}
.visitor .bubble{background:var(--c);color:var(--t);border-bottom-right-radius:4px}
.agent{align-self:flex-start}
.agent .bubble{background:var(--soft);border-bottom-left-radius:4px}
.system{align-self:center;text-align:center;max-width:95%}
.system .bubble{padding:4px 8px;color:var(--muted);font-size:14px}
.meta{font-size:12px;color:var(--muted);padding:2px 4px}
.meta:empty{display:none}
.sending .bubble,.waiting .bubble{box-shadow:inset 0 0 0 2px rgba(255,255,255,.55)}
.waiting .meta{color:var(--bad)}
.typing{margin:0;padding:0 16px;min-height:20px;font-size:13px;color:var(--muted);font-style:italic}
.foot{border-top:1px solid var(--line)}
.composer{padding:10px 12px 12px}
.row{display:flex;gap:8px;align-items:flex-end}
.row textarea{max-height:120px}
.send{width:42px;height:42px;border-radius:50%;border:0;background:var(--c);color:var(--t);display:grid;place-items:center;flex:none}
.counter{margin:4px 0 0;font-size:13px;color:var(--muted);text-align:right}
.composer .error{margin-top:6px}
.ended{padding:14px 16px 16px;display:flex;flex-direction:column;gap:12px}
.ended p{margin:0}
.closing{font-weight:600}
.transcript{display:flex;flex-direction:column;gap:6px}
.note{font-size:14px;color:var(--muted)}.note:empty{display:none}
.done h3{margin:0;font-size:18px}.done p{margin:0}
.ack{white-space:pre-wrap}.ref{font-weight:600}
@media (max-width:480px){.ld{bottom:12px}.ld.right{right:12px}.ld.left{left:12px}
.panel{position:fixed;inset:0;width:auto;max-width:none;height:auto;border-radius:0}.launcher.is-open{display:none}}
@media (prefers-reduced-motion:reduce){.panel{animation:none}}
`;
}

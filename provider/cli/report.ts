// The fleet report: one self-contained HTML file (no network access: styles, script and data are
// inline) with a summary chart, a host x finding matrix, filters and the fix of each failing finding.
// Host text reaches the page only as data set with textContent, never as markup.
import { Finding, Severity } from "../audit/audit";

export interface HostReport {
    target: string;
    kernelRelease?: string | null;
    lockdown?: string | null;
    findings?: Finding[];
    error?: string;
}

/** JSON safe inside a <script> element: no "</script>", no HTML comment, no line separators. */
function scriptJson(v: unknown): string {
    return JSON.stringify(v)
        .replace(/</g, "\\u003c")
        .replace(/>/g, "\\u003e")
        .replace(/&/g, "\\u0026")
        .replace(/\u2028/g, "\\u2028")
        .replace(/\u2029/g, "\\u2029");
}

const SEVERITIES: Severity[] = ["critical", "high", "medium", "low"];

export function renderHtml(hosts: HostReport[], generated = new Date().toISOString()): string {
    // Findings by id, with the facts that are the same on every host (title, why, fix, ...).
    const meta = new Map<string, Omit<Finding, "status" | "observed">>();
    for (const h of hosts) for (const f of h.findings ?? []) if (!meta.has(f.id)) meta.set(f.id, f);
    const data = {
        generated,
        hosts: hosts.map((h) => ({
            target: h.target,
            kernel: h.kernelRelease ?? null,
            lockdown: h.lockdown ?? null,
            error: h.error ?? null,
            // A host's own fix only where it differs from the first host's (a 6.1 host's is a newer kernel).
            cells: Object.fromEntries(
                (h.findings ?? []).map((f) => [
                    f.id,
                    f.fix !== meta.get(f.id)?.fix ? [f.status, f.observed, f.fix] : [f.status, f.observed],
                ]),
            ),
        })),
        findings: [...meta.values()].map((f) => ({
            id: f.id,
            title: f.title,
            category: f.category,
            severity: f.severity,
            expected: f.expected,
            why: f.why,
            fix: f.fix,
            group: f.group,
            differsFromKhc: f.differsFromKhc ?? null,
        })),
        severities: SEVERITIES,
    };
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Kernel hardening audit</title>
<style>${CSS}</style></head>
<body>
<h1>Kernel hardening audit</h1>
<p id="meta"></p>
<section id="summary"><h2>Summary</h2><div id="chart"></div></section>
<section><h2>Findings</h2>
<form id="filters">
<label>Severity <select id="f-severity"><option value="">all</option></select></label>
<label>Category <select id="f-category"><option value="">all</option></select></label>
<label>Status <select id="f-status"><option value="">all</option><option>fail</option><option>pass</option><option>unknown</option></select></label>
<span id="shown"></span>
</form>
<table id="matrix"><thead></thead><tbody></tbody></table>
</section>
<script id="data" type="application/json">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em;margin:0 0 .2em}
table{border-collapse:collapse;width:100%;margin-top:.8em}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}
td.pass{background:#dff5e1}td.fail{background:#fbdcdc}td.unknown{background:#fff3cd}td.none{background:#eee}
.sev{font-weight:600}.sev-critical{color:#8b0000}.sev-high{color:#c0392b}.sev-medium{color:#b9770e}.sev-low{color:#555}
.fix{color:#444;font-size:.9em}
#filters label{margin-right:1em}
#shown{font-weight:600}
.bar{display:flex;align-items:center;margin:2px 0}.bar .name{width:16em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.err{color:#8b0000}
`;

// The page's script: builds the chart, the matrix and the filters from the embedded data.
const SCRIPT = `
(function(){
var D=JSON.parse(document.getElementById('data').textContent);
function el(t,a,txt){var e=document.createElement(t);if(a)for(var k in a)e.setAttribute(k,a[k]);if(txt!=null)e.textContent=txt;return e;}
var meta=document.getElementById('meta');
meta.textContent=D.hosts.length+' hosts, '+D.findings.length+' checks, generated '+D.generated;
var chart=document.getElementById('chart');
var svgNS='http://www.w3.org/2000/svg';
var W=420,H=18,COL={pass:'#2e7d32',fail:'#c62828',unknown:'#f9a825'};
D.hosts.forEach(function(h){
  var row=el('div',{'class':'bar','data-host':h.target});
  row.appendChild(el('span',{'class':'name'},h.target));
  if(h.error){row.appendChild(el('span',{'class':'err'},'unreachable: '+h.error));chart.appendChild(row);return;}
  var c={pass:0,fail:0,unknown:0};for(var id in h.cells)c[h.cells[id][0]]++;
  var total=c.pass+c.fail+c.unknown||1,x=0;
  var svg=document.createElementNS(svgNS,'svg');svg.setAttribute('width',W);svg.setAttribute('height',H);
  ['pass','fail','unknown'].forEach(function(s){var w=W*c[s]/total;var r=document.createElementNS(svgNS,'rect');
    r.setAttribute('x',x);r.setAttribute('width',w);r.setAttribute('height',H);r.setAttribute('fill',COL[s]);x+=w;svg.appendChild(r);});
  row.appendChild(svg);
  row.appendChild(el('span',{'class':'counts'},' '+c.pass+' pass, '+c.fail+' fail, '+c.unknown+' unknown'));
  chart.appendChild(row);
});
function fill(id,values){var s=document.getElementById(id);values.forEach(function(v){s.appendChild(el('option',null,v));});}
fill('f-severity',D.severities);
fill('f-category',Array.from(new Set(D.findings.map(function(f){return f.category;}))));
var thead=document.querySelector('#matrix thead'),tbody=document.querySelector('#matrix tbody');
var hr=el('tr');['Check','Severity','Category'].forEach(function(t){hr.appendChild(el('th',null,t));});
D.hosts.forEach(function(h){hr.appendChild(el('th',{'title':h.kernel||''},h.target));});
hr.appendChild(el('th',null,'Fix'));thead.appendChild(hr);
var rank={critical:0,high:1,medium:2,low:3};
var rows=D.findings.slice().sort(function(a,b){return rank[a.severity]-rank[b.severity]||(a.id<b.id?-1:1);}).map(function(f){
  var tr=el('tr',{'data-id':f.id,'data-severity':f.severity,'data-category':f.category});
  var c=el('td');c.appendChild(el('div',{'class':'id'},f.id));c.appendChild(el('div',{'class':'fix'},f.title));tr.appendChild(c);
  tr.appendChild(el('td',{'class':'sev sev-'+f.severity},f.severity));
  tr.appendChild(el('td',null,f.category));
  var statuses=[];
  D.hosts.forEach(function(h){var cell=h.cells[f.id];var s=cell?cell[0]:'none';statuses.push(s);
    var td=el('td',{'class':s,'title':cell&&cell[1]?cell[1]:''},cell?s:'-');tr.appendChild(td);});
  tr.setAttribute('data-statuses',statuses.join(' '));
  // The fix of every failing host, each distinct fix once, named by its hosts when they differ.
  var fixes=[],by={};
  D.hosts.forEach(function(h){var cell=h.cells[f.id];if(!cell||cell[0]!=='fail')return;var x=cell[2]||f.fix;
    if(!by[x]){by[x]=[];fixes.push(x);}by[x].push(h.target);});
  var fx=el('td',{'class':'fix'},fixes.length===1?fixes[0]:'');
  if(fixes.length>1)fixes.forEach(function(x){fx.appendChild(el('div',null,by[x].join(', ')+': '+x));});
  tr.appendChild(fx);
  tbody.appendChild(tr);return tr;
});
function apply(){
  var sev=document.getElementById('f-severity').value,cat=document.getElementById('f-category').value,st=document.getElementById('f-status').value,n=0;
  rows.forEach(function(tr){var ok=(!sev||tr.getAttribute('data-severity')===sev)&&(!cat||tr.getAttribute('data-category')===cat)
    &&(!st||tr.getAttribute('data-statuses').split(' ').indexOf(st)>=0);tr.style.display=ok?'':'none';if(ok)n++;});
  document.getElementById('shown').textContent=n+' of '+rows.length+' checks shown';
}
['f-severity','f-category','f-status'].forEach(function(id){document.getElementById(id).addEventListener('change',apply);});
apply();
})();
`;

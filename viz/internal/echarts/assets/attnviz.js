/* attnviz runtime: draws attnviz figures with Apache ECharts. Part of attnviz (MIT-style project licence).
   Text from the figure (titles, tokens) only reaches the DOM through textContent or ECharts canvas text.

   The Go writer (viz/internal/echarts) puts this file and the custom ECharts build into one
   raw-deflate blob that every figure carries; the first figure on a page inflates and runs it
   (one script element), later figures find it under its content key in window.__avlib and only
   call boot. attnvizRuntime receives the ECharts module and the inflate function. */
function attnvizRuntime(echarts,inflate){
"use strict";
var AV={views:{},loaded:Math.round(performance.now())};

var THEMES={ /* the static views' colours (viz/palette.go themeColors) */
  light:{bg:"#ffffff",fg:"#1f1f1f",sub:"#666666",masked:[217,217,217],grid:"#d0d0d0",tipBg:"rgba(255,255,255,0.96)",tipFg:"#1f1f1f",tipBorder:"#999999",pin:"#d55e00"},
  dark:{bg:"#16181d",fg:"#e8e8e8",sub:"#a0a4ab",masked:[60,63,69],grid:"#3a3e46",tipBg:"rgba(30,32,38,0.96)",tipFg:"#eeeeee",tipBorder:"#7d828b",pin:"#ff8c42"}
};

function css(){
  if(document.getElementById("attnviz-css")){return;}
  var s=document.createElement("style");s.id="attnviz-css";
  s.textContent=".attnviz{box-sizing:border-box;font:13px system-ui,-apple-system,'Segoe UI',sans-serif}"+
  ".attnviz .attnviz-bar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:2px 0 6px 0}"+
  ".attnviz select,.attnviz button{font:inherit;color:inherit;border:1px solid #8888;border-radius:4px;padding:1px 6px;background:transparent}"+
  ".attnviz select option{color:#222;background:#fff}"+
  ".attnviz .attnviz-tip{position:absolute;pointer-events:none;white-space:pre;font:12px ui-monospace,Menlo,Consolas,monospace;padding:4px 7px;border-radius:4px;border:1px solid;z-index:20;display:none;max-width:480px;overflow:hidden}"+
  ".attnviz .attnviz-status{font-size:12px;min-height:16px;white-space:pre-wrap;margin-top:4px}"+
  ".attnviz .attnviz-headbtn{width:22px;height:18px;padding:0;border-width:2px}"+
  ".attnviz .attnviz-headbtn[aria-pressed=false]{opacity:0.25}";
  (document.head||document.documentElement).appendChild(s);
}

/* ---------- data ---------- */
function b64(s){
  if(typeof Uint8Array.fromBase64==="function"){return Uint8Array.fromBase64(s);}
  var bin=atob(s),n=bin.length,u=new Uint8Array(n);
  for(var i=0;i<n;i++){u[i]=bin.charCodeAt(i);}
  return u;
}
/* a = [kind, lo, hi, base64, compressed?]: compressed arrays are raw deflate. */
function bytes(a){var u=b64(a[3]);return a[4]?inflate(u):u;}
/* An array is {n, get(k)->number (NaN when masked), code(k)->0..255 or 256 when masked}. */
function decode(a,lo,hi){
  if(!a){return null;}
  var u=bytes(a);
  var r={kind:a[0],lo:a[1],hi:a[2]};
  if(a[0]==="f32"){
    if(u.byteOffset%4){u=u.slice();}
    var f=new Float32Array(u.buffer,u.byteOffset,u.length>>2);
    r.n=f.length;r.f=f;
    r.get=function(k){return f[k];};
  }else{
    var alo=a[1],step=(a[2]-a[1])/254;
    r.n=u.length;r.u=u;
    r.get=function(k){var c=u[k];return c===0?NaN:alo+(c-1)*step;};
  }
  setRange(r,lo,hi);
  return r;
}
function setRange(r,lo,hi){
  var span=hi>lo?hi-lo:1;
  if(r.kind==="f32"){
    var f=r.f,k255=255/span;
    r.code=function(k){var v=f[k];if(!(v===v)||v===Infinity||v===-Infinity){return 256;}var c=(v-lo)*k255;return c<0?0:c>255?255:c|0;};
  }else{
    var tbl=new Uint16Array(256),alo=r.lo,step=(r.hi-r.lo)/254;tbl[0]=256;
    for(var c=1;c<256;c++){var v=alo+(c-1)*step,q=(v-lo)*255/span;tbl[c]=q<0?0:q>255?255:q|0;}
    var u=r.u;r.code=function(k){return tbl[u[k]];};
  }
}
/* A view of r with its own colour range (per-head scales). */
function ranged(r,lo,hi){var v=Object.create(r);setRange(v,lo,hi);return v;}
function hexRGB(h){h=h.replace("#","");return [parseInt(h.substr(0,2),16),parseInt(h.substr(2,2),16),parseInt(h.substr(4,2),16)];}
/* 257-entry little-endian ABGR table: 0..255 palette, 256 masked. */
function lut(stops,masked){
  var t=new Uint32Array(257),cs=stops.map(hexRGB),m=cs.length-1;
  for(var i=0;i<256;i++){
    var x=i/255*m,k=Math.min(m-1,Math.floor(x)),f=x-k,a=cs[k],b=cs[m>0?k+1:0];
    if(m===0){b=a;f=0;}
    var r=Math.round(a[0]+(b[0]-a[0])*f),g=Math.round(a[1]+(b[1]-a[1])*f),bl=Math.round(a[2]+(b[2]-a[2])*f);
    t[i]=(255<<24|bl<<16|g<<8|r)>>>0;
  }
  t[256]=(255<<24|masked[2]<<16|masked[1]<<8|masked[0])>>>0;
  return t;
}
function rgbOf(t,i){var v=t[i];return "rgb("+(v&255)+","+(v>>8&255)+","+(v>>16&255)+")";}
function lumOf(t,i){var v=t[i];return 0.299*(v&255)+0.587*(v>>8&255)+0.114*(v>>16&255);}
/* Ink for a number on cell colour t[i]: black or white by relative luminance,
   as the static views choose it (viz/draw.go inkOn). */
function inkOf(t,i){
  var v=t[i],lin=function(c){var x=c/255;return x<=0.04045?x/12.92:Math.pow((x+0.055)/1.055,2.4);};
  var L=0.2126*lin(v&255)+0.7152*lin(v>>8&255)+0.0722*lin(v>>16&255);
  return L>0.3?"#000000":"#ffffff";
}
/* A value as the static views annotate it (viz/draw.go fmtVal). */
function fmtVal(v,dec){
  if(v===-Infinity){return "\u2212\u221e";}
  if(v===Infinity){return "\u221e";}
  var s=v.toFixed(dec);
  if(/^-0(\.0*)?$/.test(s)){s=s.substr(1);}
  return s.replace("-","\u2212");
}
/* Decimals for values of magnitude up to m (viz/draw.go decimalsFor). */
function decimalsFor(m){return m>=100?0:m>=10?1:2;}

/* ---------- text ---------- */
/* Token text as the static views label it (viz/draw.go tokLabel): escapes
   for newline/tab/CR, a middle dot for a leading or trailing space, "?" for
   other invisible characters, '' for the empty token. */
function vis(t){
  t=String(t==null?"":t);
  if(t===""){return "''";}
  var out="",n=t.length;
  for(var i=0;i<n;i++){
    var c=t.charAt(i);
    if(c==="\n"){out+="\\n";}else if(c==="\t"){out+="\\t";}else if(c==="\r"){out+="\\r";}
    else if(c===" "&&(i===0||i===n-1)){out+="\u00b7";}
    else if(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]/.test(c)){out+="?";}
    else{out+=c;}
  }
  return out;
}
function num(v,q){
  if(v!==v){return "masked";}
  if(v===-Infinity){return "\u2212\u221e (masked)";}
  if(v===Infinity){return "+\u221e";}
  var a=Math.abs(v),s=(a!==0&&a<0.001)?v.toExponential(2):v.toFixed(4);
  return (q?"\u2248":"")+s.replace("-","\u2212");
}
function tok(list,i){return list&&i<list.length?vis(list[i]):String(i);}
function el(tag,cls,parent,text){var e=document.createElement(tag);if(cls){e.className=cls;}if(text!=null){e.textContent=text;}if(parent){parent.appendChild(e);}return e;}
function select(parent,cls,label,n,names,cur){
  var w=el("label",null,parent);el("span",null,w,label+" ");
  var s=el("select",cls,w);
  for(var i=0;i<n;i++){var o=el("option",null,s,names?names(i):String(i));o.value=String(i);}
  s.value=String(cur);return s;
}
function tipFor(host,th){
  var t=el("div","attnviz-tip",host);
  t.style.background=th.tipBg;t.style.color=th.tipFg;t.style.borderColor=th.tipBorder;
  return {
    show:function(x,y,text){t.textContent=text;t.style.display="block";
      var W=host.clientWidth,w=t.offsetWidth,h=t.offsetHeight,H=host.clientHeight;
      var px=x+14,py=y+14;if(px+w>W){px=Math.max(0,x-14-w);}if(py+h>H){py=Math.max(0,y-14-h);}
      t.style.left=px+"px";t.style.top=py+"px";},
    hide:function(){t.style.display="none";},
    node:t
  };
}
function chartHost(parent,w,h){var d=el("div","attnviz-chart",parent);d.style.position="relative";d.style.width=w+"px";d.style.height=h+"px";return d;}
function init(div,theme,w,h){return echarts.init(div,theme==="dark"?"dark":null,{renderer:"canvas",width:w,height:h});}
function dpr(){return Math.min(2,Math.max(1,window.devicePixelRatio||1));}

/* ---------- heatmap core (also used by the explorer) ---------- */
/* m = {arr, off, rows, cols, q, k, title, s (scores array or null), label,
   rn, cn (names of the rows and columns of plain values; default query, key)} */
function Heat(host,th,theme,w,h,lutT,lo,hi,stops,onPin){
  var self=this;
  this.m=null;this.pin=-1;this.ver=0;this.geom=null;this.cache=null;this.lut=lutT;
  var div=chartHost(host,w,h);
  var chart=init(div,theme,w,h);this.chart=chart;
  var tip=tipFor(div,th);this.tip=tip;
  var axisLabel={color:th.fg,fontSize:11,width:90,overflow:"truncate"};
  /* Label every k-th token so labels are >= 13 px apart at the current zoom. */
  function every(n,len){return function(_,v){var i=+v,m=self.m,b=self.geom?(n==="x"?self.geom.bw:self.geom.bh):len/Math.max(1,m?(n==="x"?m.cols:m.rows):1);var k=Math.max(1,Math.ceil(13/Math.max(b,0.01)));return i%k===0;};}
  chart.setOption({
    animation:false,backgroundColor:th.bg,
    title:{text:"",left:"center",top:4,textStyle:{color:th.fg,fontSize:14}},
    grid:{left:100,right:96,top:40,bottom:118,containLabel:false},
    xAxis:{type:"category",data:[],name:"key",nameLocation:"middle",nameGap:78,nameTextStyle:{color:th.sub},
      axisLabel:Object.assign({rotate:60,interval:every("x",w-196),formatter:function(v){return self.m?tok(self.m.k,+v):"";}},axisLabel),axisTick:{show:false},splitLine:{show:false}},
    yAxis:{type:"category",data:[],inverse:true,name:"query",nameLocation:"middle",nameGap:90,nameTextStyle:{color:th.sub},
      axisLabel:Object.assign({interval:every("y",h-150),formatter:function(v){return self.m?tok(self.m.q,+v):"";}},axisLabel),axisTick:{show:false},splitLine:{show:false}},
    dataZoom:[{type:"inside",xAxisIndex:0,filterMode:"none"},{type:"inside",yAxisIndex:0,filterMode:"none"},
      {type:"slider",xAxisIndex:0,filterMode:"none",height:12,bottom:10,showDetail:false},
      {type:"slider",yAxisIndex:0,filterMode:"none",width:12,right:74,showDetail:false}],
    visualMap:{type:"continuous",min:lo,max:hi,calculable:false,seriesIndex:[],right:8,top:"middle",itemHeight:Math.max(80,h-240),itemWidth:14,text:[num(hi,false),num(lo,false)],
      inRange:{color:stops},textStyle:{color:th.fg},formatter:function(v){return num(v,false);}},
    series:[{type:"custom",data:[[0,0,0]],encode:{x:0,y:1},clip:true,silent:true,animation:false,
      renderItem:function(p,api){return self.render(p,api);}}]
  });
  var zr=chart.getZr();
  zr.on("mousemove",function(e){
    var c=self.cell(e.offsetX,e.offsetY);
    if(!c){tip.hide();return;}
    tip.show(e.offsetX,e.offsetY,self.describe(c[0],c[1]));
  });
  zr.on("globalout",function(){tip.hide();});
  zr.on("click",function(e){
    var c=self.cell(e.offsetX,e.offsetY);if(!c){return;}
    self.setPin(self.pin===c[0]?-1:c[0]);if(onPin){onPin(self.pin);}
  });
}
Heat.prototype.set=function(m){
  this.m=m;this.ver++;this.cache=null;
  var q=[],k=[],i;
  for(i=0;i<m.rows;i++){q.push(String(i));}
  for(i=0;i<m.cols;i++){k.push(String(i));}
  this.chart.setOption({title:{text:m.title||""},xAxis:{data:k,name:m.cn||"key"},yAxis:{data:q,name:m.rn||"query"},series:[{data:[[0,0,this.ver]]}]});
  this.chart.getZr().flush();
};
Heat.prototype.setPin=function(i){this.pin=i;this.ver++;this.cache=null;this.chart.setOption({series:[{data:[[0,0,this.ver]]}]});this.chart.getZr().flush();};
Heat.prototype.render=function(p,api){
  var m=this.m;if(!m){return null;}
  var cs=p.coordSys,c0=api.coord([0,0]),sz=api.size([1,1]);
  var bw=sz[0],bh=sz[1],x0=c0[0]-bw/2,y0=c0[1]-bh/2;
  this.geom={x:cs.x,y:cs.y,w:cs.width,h:cs.height,x0:x0,y0:y0,bw:bw,bh:bh};
  var key=[cs.x,cs.y,cs.width,cs.height,x0,y0,bw,bh,this.ver].join(",");
  if(!this.cache||this.cache.key!==key){this.cache={key:key,img:this.paint(this.geom)};}
  return {type:"image",silent:true,style:{image:this.cache.img,x:cs.x,y:cs.y,width:cs.width,height:cs.height}};
};
Heat.prototype.paint=function(g){
  var m=this.m,r=dpr(),W=Math.max(1,Math.round(g.w*r)),H=Math.max(1,Math.round(g.h*r));
  var cv=document.createElement("canvas");cv.width=W;cv.height=H;
  var ctx=cv.getContext("2d"),img=ctx.createImageData(W,H),px=new Uint32Array(img.data.buffer);
  var cols=new Int32Array(W),i,j,x,y;
  for(x=0;x<W;x++){j=Math.floor((g.x+(x+0.5)/r-g.x0)/g.bw);cols[x]=(j>=0&&j<m.cols)?j:-1;}
  var code=m.arr.code,lutT=this.lut,off=m.off,nc=m.cols;
  for(y=0;y<H;y++){
    i=Math.floor((g.y+(y+0.5)/r-g.y0)/g.bh);
    var o=y*W;
    if(i<0||i>=m.rows){continue;}
    var base=off+i*nc;
    for(x=0;x<W;x++){j=cols[x];if(j>=0){px[o+x]=lutT[code(base+j)];}}
  }
  ctx.putImageData(img,0,0);
  this.annots=null;
  if(m.annot){this.annotate(ctx,g,r);}
  if(this.pin>=0&&this.pin<m.rows){
    ctx.strokeStyle=this.pinColor||"#e8590c";ctx.lineWidth=2*r;
    ctx.strokeRect((g.x0-g.x)*r+1*r,(g.y0+this.pin*g.bh-g.y)*r,(g.bw*m.cols)*r-2*r,g.bh*r);
  }
  return cv;
};
/* The value of every visible cell written in it (the Annotate option), when the
   cells are big enough for the text at this zoom; masked cells read −∞. The
   texts drawn are kept in this.annots (row-major, visible cells) for tests. */
Heat.prototype.annotate=function(ctx,g,r){
  var m=this.m,lutT=this.lut,code=m.arr.code,fs=11;
  ctx.font=(fs*r)+"px sans-serif";ctx.textAlign="center";ctx.textBaseline="middle";
  var wide=ctx.measureText(fmtVal(-Math.max(Math.abs(m.alo||0),Math.abs(m.ahi||0),1),m.dec)).width/r;
  if(g.bw<wide+4||g.bh<fs+2){return;}
  var i0=Math.max(0,Math.floor((g.y-g.y0)/g.bh)),i1=Math.min(m.rows-1,Math.floor((g.y+g.h-g.y0)/g.bh));
  var j0=Math.max(0,Math.floor((g.x-g.x0)/g.bw)),j1=Math.min(m.cols-1,Math.floor((g.x+g.w-g.x0)/g.bw));
  var out=[];
  for(var i=i0;i<=i1;i++){
    for(var j=j0;j<=j1;j++){
      var k=m.off+i*m.cols+j,v=m.arr.get(k),c=code(k);
      var t=(v!==v||v===-Infinity)?"\u2212\u221e":fmtVal(v,m.dec);
      ctx.fillStyle=inkOf(lutT,c);
      ctx.fillText(t,(g.x0+(j+0.5)*g.bw-g.x)*r,(g.y0+(i+0.5)*g.bh-g.y)*r);
      out.push(t);
    }
  }
  this.annots=out;
};
Heat.prototype.cell=function(x,y){
  var g=this.geom,m=this.m;if(!g||!m){return null;}
  if(x<g.x||x>=g.x+g.w||y<g.y||y>=g.y+g.h){return null;}
  var j=Math.floor((x-g.x0)/g.bw),i=Math.floor((y-g.y0)/g.bh);
  if(i<0||i>=m.rows||j<0||j>=m.cols){return null;}
  return [i,j];
};
Heat.prototype.describe=function(i,j){
  var m=this.m,k=m.off+i*m.cols+j,q=m.arr.kind!=="f32";
  var s=(m.rn||"query")+" "+i+": "+tok(m.q,i)+"\n"+(m.cn||"key")+" "+j+": "+tok(m.k,j)+"\n"+(m.label||"weight")+": "+num(m.arr.get(k),q);
  if(m.s){s+="\nscore: "+num(m.s.get(k),m.s.kind!=="f32");}
  return s;
};
function pinText(m,i){
  var rn=m.rn||"query",cn=m.cn||"key";
  if(i<0){return "click a row to pin a "+rn;}
  var best=-1,bv=-Infinity,base=m.off+i*m.cols;
  for(var j=0;j<m.cols;j++){var v=m.arr.get(base+j);if(v>bv){bv=v;best=j;}}
  return "pinned "+rn+" "+i+": "+tok(m.q,i)+"  \u2192 "+(m.rn?"largest ":"strongest ")+cn+" "+best+": "+tok(m.k,best)+" ("+num(bv,m.arr.kind!=="f32")+")";
}

/* ---------- views ---------- */
AV.views.heatmap=function(root,opt,spec,data){
  var th=THEMES[opt.theme];
  var arr=decode(data.w,spec.lo,spec.hi),sc=decode(data.s,spec.lo,spec.hi);
  var lutT=lut(spec.pal,th.masked);
  var status;
  var hm=new Heat(root,th,opt.theme,opt.w,opt.h,lutT,spec.lo,spec.hi,spec.pal,function(p){status.textContent=pinText(m,p);});
  hm.pinColor=th.pin;
  var m={arr:arr,off:0,rows:spec.rows,cols:spec.cols,q:spec.q,k:spec.k,title:spec.title,s:sc,label:spec.label,rn:spec.rowName,cn:spec.colName,
    annot:!!spec.annot,dec:spec.dec||0,alo:spec.lo,ahi:spec.hi};
  status=el("div","attnviz-status",root);
  hm.set(m);
  if(spec.pin>=0&&spec.pin<spec.rows){hm.setPin(spec.pin);}
  status.textContent=pinText(m,hm.pin);
  return {charts:[hm.chart],heat:hm};
};

AV.views.explorer=function(root,opt,spec,data){
  var th=THEMES[opt.theme];
  var arr=decode(data.w,spec.lo,spec.hi),lutT=lut(spec.pal,th.masked);
  var L=spec.L,H=spec.H,T=spec.T,Tk=spec.Tk||spec.T,l=spec.layer,hd=spec.head,n2=T*Tk;
  /* One colour range per head unless the scale is shared. */
  var views=[],los=[],his=[],hh,k;
  for(hh=0;hh<L*H;hh++){
    var lo=spec.lo,hi=spec.hi;
    if(!spec.shared){lo=Infinity;hi=-Infinity;for(k=hh*n2;k<(hh+1)*n2;k++){var v=arr.get(k);if(v===v&&v!==Infinity&&v!==-Infinity){if(v<lo){lo=v;}if(v>hi){hi=v;}}}
      if(!(hi>=lo)){lo=0;hi=1;}if(spec.lo>=0&&lo>=0){lo=0;}if(spec.lo<0){var mm=Math.max(-lo,hi);lo=-mm;hi=mm;}if(!(hi>lo)){hi=lo+1;}}
    los.push(lo);his.push(hi);views.push(spec.shared?arr:ranged(arr,lo,hi));
  }
  var bar=el("div","attnviz-bar",root);
  var ln=function(i){return spec.layerNames&&spec.layerNames[i]!=null?vis(spec.layerNames[i]):"layer "+i;};
  var hn=function(i){return spec.headNames&&spec.headNames[i]!=null?vis(spec.headNames[i]):"head "+i;};
  var sl=select(bar,"attnviz-layer","Layer",L,ln,l),sh=select(bar,"attnviz-head","Head",H,hn,hd);
  /* Thumbnails and detail side by side; where the page is narrower than
     the figure (handouts, narrow notebook columns) the detail wraps under
     the thumbnails instead of being clipped. */
  if(root.parentNode){root.parentNode.style.maxWidth="100%";}
  var row=el("div",null,root);row.style.display="flex";row.style.flexWrap="wrap";row.style.gap="8px";row.style.alignItems="flex-start";
  var tw=Math.min(Math.max(220,Math.round(opt.w*0.38)),520),hw=Math.max(360,opt.w-tw-8-12);/* 12: the root's padding */
  var tdiv=chartHost(row,tw,opt.h),tchart=init(tdiv,opt.theme,tw,opt.h),ttip=tipFor(tdiv,th);
  var hostR=el("div",null,row);
  var hm=new Heat(hostR,th,opt.theme,hw,opt.h,lutT,spec.lo,spec.hi,spec.pal,function(p){status.textContent=pinText(cur(),p);});
  hm.pinColor=th.pin;
  var status=el("div","attnviz-status",root);
  var tver=0,tgeom=null,tcache=null;
  function cur(){var c=views[l*H+hd];return {arr:c,off:(l*H+hd)*n2,rows:T,cols:Tk,q:spec.q,k:spec.k,title:(spec.title?spec.title+" \u2014 ":"")+ln(l)+", "+hn(hd)};}
  function labels(n,f){var a=[];for(var i=0;i<n;i++){a.push(f(i));}return a;}
  /* Square cells: the grid is as wide as H heads of Tk columns and as tall
     as L layers of T rows at one cell size, the largest that fits. */
  var gl=64,gt=34,cpx=Math.min(Math.max(1,tw-gl-10)/(H*Tk),Math.max(1,opt.h-gt-28)/(L*T));
  var gw=Math.max(H,cpx*Tk*H),gh=Math.max(L,cpx*T*L);
  tchart.setOption({animation:false,backgroundColor:th.bg,
    title:{text:"layers \u00d7 heads (click to open)",left:"center",top:4,textStyle:{color:th.fg,fontSize:13}},
    grid:{left:gl,top:gt,width:gw,height:gh},
    xAxis:{type:"category",data:labels(H,function(i){return "H"+i;}),position:"bottom",axisLabel:{color:th.fg,fontSize:10,interval:"auto"},axisTick:{show:false},axisLine:{show:false}},
    yAxis:{type:"category",data:labels(L,function(i){return "L"+i;}),inverse:true,axisLabel:{color:th.fg,fontSize:10},axisTick:{show:false},axisLine:{show:false}},
    series:[{type:"custom",data:[[0,0,0]],encode:{x:0,y:1},silent:true,animation:false,renderItem:function(p,api){
      var cs=p.coordSys,c0=api.coord([0,0]),sz=api.size([1,1]);
      tgeom={x:cs.x,y:cs.y,w:cs.width,h:cs.height,x0:c0[0]-sz[0]/2,y0:c0[1]-sz[1]/2,bw:sz[0],bh:sz[1]};
      root.setAttribute("data-thumb",(sz[0]/Tk).toFixed(2)+"x"+(sz[1]/T).toFixed(2));
      var key=[cs.x,cs.y,cs.width,cs.height,tver].join(",");
      if(!tcache||tcache.key!==key){tcache={key:key,img:thumbs(tgeom)};}
      return {type:"image",silent:true,style:{image:tcache.img,x:cs.x,y:cs.y,width:cs.width,height:cs.height}};}}]});
  function thumbs(g){
    var r=dpr(),W=Math.max(1,Math.round(g.w*r)),Hh=Math.max(1,Math.round(g.h*r));
    var cv=document.createElement("canvas");cv.width=W;cv.height=Hh;
    var ctx=cv.getContext("2d"),img=ctx.createImageData(W,Hh),px=new Uint32Array(img.data.buffer);
    var gap=Math.max(1,Math.round(Math.min(g.bw,g.bh)*r*0.06));
    var cw=g.bw*r,ch=g.bh*r;
    var colH=new Int32Array(W),colJ=new Int32Array(W),x,y;
    for(x=0;x<W;x++){var fx=x/cw,h=Math.floor(fx),ox=x-h*cw;colH[x]=(h<H&&ox>=gap/2&&ox<cw-gap/2)?h:-1;colJ[x]=Math.min(Tk-1,Math.floor((ox-gap/2)/(cw-gap)*Tk));}
    for(y=0;y<Hh;y++){
      var fy=y/ch,ll=Math.floor(fy),oy=y-ll*ch;
      if(ll>=L||oy<gap/2||oy>=ch-gap/2){continue;}
      var i=Math.min(T-1,Math.floor((oy-gap/2)/(ch-gap)*T)),o=y*W,rb=ll*H;
      for(x=0;x<W;x++){var hh=colH[x];if(hh>=0){px[o+x]=lutT[views[rb+hh].code((rb+hh)*n2+i*Tk+colJ[x])];}}
    }
    ctx.putImageData(img,0,0);
    ctx.strokeStyle=th.pin;ctx.lineWidth=Math.max(2,gap)*1.5;
    ctx.strokeRect(hd*cw+gap/2,l*ch+gap/2,cw-gap,ch-gap);
    return cv;
  }
  function tcell(x,y){
    var g=tgeom;if(!g||x<g.x||y<g.y||x>=g.x+g.w||y>=g.y+g.h){return null;}
    var h=Math.floor((x-g.x0)/g.bw),ll=Math.floor((y-g.y0)/g.bh);
    return (h>=0&&h<H&&ll>=0&&ll<L)?[ll,h]:null;
  }
  function pick(nl,nh){
    l=nl;hd=nh;sl.value=String(l);sh.value=String(hd);
    root.setAttribute("data-layer",String(l));root.setAttribute("data-head",String(hd));
    tver++;tchart.setOption({series:[{data:[[0,0,tver]]}]});tchart.getZr().flush();
    hm.pin=-1;hm.set(cur());
    var ix=l*H+hd;hm.chart.setOption({visualMap:{min:los[ix],max:his[ix],text:[num(his[ix],false),num(los[ix],false)]}});
    status.textContent=ln(l)+", "+hn(hd)+" \u2014 "+pinText(cur(),-1);
  }
  var tz=tchart.getZr();
  tz.on("mousemove",function(e){var c=tcell(e.offsetX,e.offsetY);if(!c){ttip.hide();return;}ttip.show(e.offsetX,e.offsetY,ln(c[0])+", "+hn(c[1]));});
  tz.on("globalout",function(){ttip.hide();});
  tz.on("click",function(e){var c=tcell(e.offsetX,e.offsetY);if(c){pick(c[0],c[1]);}});
  sl.addEventListener("change",function(){pick(+sl.value,hd);});
  sh.addEventListener("change",function(){pick(l,+sh.value);});
  pick(l,hd);
  return {charts:[tchart,hm.chart],heat:hm,pick:pick};
};

AV.views.headview=function(root,opt,spec,data){
  var th=THEMES[opt.theme];
  var arr=decode(data.w,0,1);
  var L=spec.L,H=spec.H,T=spec.T,Tk=spec.Tk||spec.T,l=spec.layer;
  var on=[];for(var h=0;h<H;h++){on.push(!spec.heads||spec.heads.indexOf(h)>=0);}
  var bar=el("div","attnviz-bar",root);
  var sl=null;
  if(L>1){sl=select(bar,"attnviz-layer","Layer",L,function(i){return spec.layerNames&&spec.layerNames[i]!=null?vis(spec.layerNames[i]):"layer "+i;},l);}
  el("span",null,bar,"Heads");
  var btns=[];
  for(h=0;h<H;h++){(function(h){
    var b=el("button","attnviz-headbtn",bar);b.type="button";b.title="head "+h+" (double-click: only this head)";
    b.style.background=spec.colors[h%spec.colors.length];b.style.borderColor=spec.colors[h%spec.colors.length];
    b.setAttribute("data-head",String(h));b.setAttribute("aria-pressed",on[h]?"true":"false");
    b.addEventListener("click",function(){on[h]=!on[h];b.setAttribute("aria-pressed",on[h]?"true":"false");draw();});
    b.addEventListener("dblclick",function(){for(var k=0;k<H;k++){on[k]=k===h;btns[k].setAttribute("aria-pressed",on[k]?"true":"false");}draw();});
    btns.push(b);})(h);}
  var n=Math.max(T,Tk),rh=Math.max(14,Math.min(22,Math.floor((opt.h-60)/n)));
  var top=44,hgt=top+n*rh+16,w=opt.w;
  var div=chartHost(root,w,hgt),chart=init(div,opt.theme,w,hgt),tip=tipFor(div,th);
  var status=el("div","attnviz-status",root);
  var xl=Math.round(w*0.36),xr=Math.round(w*0.64);
  var focus=null,pinned=null;
  function yq(i){return top+i*rh+rh/2;}
  function texts(){
    var g=[],i;
    for(i=0;i<T;i++){g.push({type:"text",id:"q"+i,x:xl-8,y:yq(i),silent:true,z:2,style:{text:tok(spec.q,i),fill:th.fg,font:"12px sans-serif",align:"right",verticalAlign:"middle",width:xl-16,overflow:"truncate"}});}
    for(i=0;i<Tk;i++){g.push({type:"text",id:"k"+i,x:xr+8,y:yq(i),silent:true,z:2,style:{text:tok(spec.k,i),fill:th.fg,font:"12px sans-serif",align:"left",verticalAlign:"middle",width:w-xr-16,overflow:"truncate"}});}
    return g;
  }
  var cache={},thinned=0;
  function paint(){
    var f=pinned||focus,key=l+"|"+on.join(",")+"|"+(f?f.side+f.i:"");
    if(cache.key===key){root.setAttribute("data-lines",String(cache.n));return cache.cv;}
    var r=dpr(),W=Math.max(1,Math.round((xr-xl)*r)),Hh=Math.round(hgt*r);
    var cv=document.createElement("canvas");cv.width=W;cv.height=Hh;
    var ctx=cv.getContext("2d");ctx.scale(r,r);ctx.lineWidth=2;ctx.lineCap="round";
    var sum=0,B=32,x1=xr-xl-2,min=0.004,h,i,j,v;
    /* Unfocused and large: draw the strongest ~25k lines (a threshold from a
       histogram of the weights); a focused token always shows all of its lines. */
    if(!f){
      var hist=new Uint32Array(257),tot=0;
      for(h=0;h<H;h++){if(!on[h]){continue;}var b0=(l*H+h)*T*Tk;for(i=0;i<T*Tk;i++){v=arr.get(b0+i);if(v>0.004){hist[v>=1?256:Math.floor(v*256)]++;tot++;}}}
      if(tot>25000){var acc=0;for(var t=256;t>0;t--){acc+=hist[t];if(acc>25000){min=Math.max(0.004,(t+1)/256);break;}}}
    }
    thinned=min>0.004?min:0;
    /* Lines are batched by opacity (32 levels) into one path per level and
       head: a few hundred strokes instead of one per line. */
    for(h=0;h<H;h++){
      if(!on[h]){continue;}
      var paths=[],base=(l*H+h)*T*Tk;
      for(i=0;i<T;i++){
        if(f&&f.side==="q"&&f.i!==i){continue;}
        for(j=0;j<Tk;j++){
          if(f&&f.side==="k"&&f.i!==j){continue;}
          v=arr.get(base+i*Tk+j);
          if(!(v>min)){continue;}
          var k=v>=1?B:Math.ceil(v*B);
          var p=paths[k]||(paths[k]=new Path2D());
          p.moveTo(2,yq(i));p.lineTo(x1,yq(j));sum++;
        }
      }
      ctx.strokeStyle=spec.colors[h%spec.colors.length];
      for(var q=1;q<=B;q++){if(paths[q]){ctx.globalAlpha=q/B;ctx.stroke(paths[q]);}}
    }
    root.setAttribute("data-lines",String(sum));
    /* Keep the unfocused picture: the pointer returns to it often. */
    if(!f){cache={key:key,cv:cv,n:sum};}
    return cv;
  }
  function draw(){
    var f=pinned||focus,g=[{type:"image",id:"lines",x:xl,y:0,silent:true,z:1,style:{image:paint(),x:0,y:0,width:xr-xl,height:hgt}}];
    var hi={type:"rect",id:"hl",z:0,silent:true,invisible:!f,shape:{x:0,y:0,width:0,height:0},style:{fill:th.grid,opacity:pinned?0.9:0.5}};
    if(f){hi.shape=f.side==="q"?{x:4,y:yq(f.i)-rh/2,width:xl-8,height:rh}:{x:xr+4,y:yq(f.i)-rh/2,width:w-xr-8,height:rh};}
    g.push(hi);
    chart.setOption({graphic:{elements:g}});chart.getZr().flush();
    var on2=[];for(var h=0;h<H;h++){if(on[h]){on2.push(h);}}
    status.textContent=(pinned?"pinned ":f?"focus ":"")+(f?(f.side==="q"?"query "+f.i+": "+tok(spec.q,f.i):"key "+f.i+": "+tok(spec.k,f.i))+"  \u2014 ":"hover a token to focus, click to pin \u2014 ")+"heads shown: "+(on2.length?on2.join(" "):"none")+(thinned&&!f?"  \u2014 lines with weight < "+thinned.toFixed(3)+" hidden (hover a token to see all of its lines)":"");
  }
  function hit(x,y){
    var i=Math.floor((y-top)/rh);
    if(x<xl&&i>=0&&i<T){return {side:"q",i:i};}
    if(x>xr&&i>=0&&i<Tk){return {side:"k",i:i};}
    return null;
  }
  chart.setOption({animation:false,backgroundColor:th.bg,
    title:{text:spec.title||"",left:"center",top:4,textStyle:{color:th.fg,fontSize:14}},
    graphic:{elements:texts().concat([{type:"text",id:"lq",x:xl-8,y:top-14,silent:true,style:{text:"queries",fill:th.sub,font:"11px sans-serif",align:"right"}},
      {type:"text",id:"lk",x:xr+8,y:top-14,silent:true,style:{text:"keys",fill:th.sub,font:"11px sans-serif",align:"left"}}])}});
  var zr=chart.getZr();
  zr.on("mousemove",function(e){
    var f=hit(e.offsetX,e.offsetY);
    if(f){tip.show(e.offsetX,e.offsetY,(f.side==="q"?"query ":"key ")+f.i+": "+tok(f.side==="q"?spec.q:spec.k,f.i));}else{tip.hide();}
    if(pinned){return;}
    var same=(f&&focus&&f.side===focus.side&&f.i===focus.i)||(!f&&!focus);
    if(!same){focus=f;draw();}
  });
  zr.on("globalout",function(){tip.hide();if(!pinned&&focus){focus=null;draw();}});
  zr.on("click",function(e){
    var f=hit(e.offsetX,e.offsetY);if(!f){return;}
    if(pinned&&pinned.side===f.side&&pinned.i===f.i){pinned=null;focus=f;}else{pinned=f;}
    root.setAttribute("data-pinned",pinned?pinned.side+pinned.i:"");
    draw();
  });
  if(sl){sl.addEventListener("change",function(){l=+sl.value;root.setAttribute("data-layer",String(l));draw();});}
  root.setAttribute("data-layer",String(l));
  draw();
  return {charts:[chart]};
};

AV.views.steps=function(root,opt,spec,data){
  var th=THEMES[opt.theme];
  var Q=decode(data.q,0,1),K=decode(data.k,0,1),V=decode(data.v,0,1),M=decode(data.m,0,1);
  var T=spec.T,Tk=spec.Tk,d=spec.d,dv=spec.dv,qi=spec.query,sc=1/Math.sqrt(d);
  var bar=el("div","attnviz-bar",root);
  var prev=el("button","attnviz-prev",bar,"\u25c0");prev.type="button";
  var sq=select(bar,"attnviz-query","Query",T,function(i){return i+": "+tok(spec.q,i);},qi);
  var next=el("button","attnviz-next",bar,"\u25b6");next.type="button";
  var hgt=Math.max(opt.h,560),div=chartHost(root,opt.w,hgt),chart=init(div,opt.theme,opt.w,hgt);
  var status=el("div","attnviz-status",root);
  var keys=[],dims=[],i;
  for(i=0;i<Tk;i++){keys.push(tok(spec.k,i));}
  for(i=0;i<dv;i++){dims.push(String(i));}
  var enc=echarts.format.encodeHTML;
  var panels=["q\u00b7k\u2c7c  (raw scores, row of QK\u1d40)","\u00f7\u221ad\u2096  (d\u2096 = "+d+", \u00d7 "+sc.toFixed(4)+")"+(M?"  + mask":""),"softmax  (weights, sum = 1)","output = \u03a3\u2c7c w\u2c7c v\u2c7c  (row of softmax \u00b7 V)"];
  var grids=[],xs=[],ys=[],titles=[],series=[],gh=(hgt-60)/4;
  for(var p=0;p<4;p++){
    grids.push({left:70,right:24,top:40+p*gh+18,height:gh-44});
    titles.push({text:panels[p],left:70,top:40+p*gh-2,textStyle:{fontSize:12,fontWeight:"normal",color:th.fg}});
    xs.push({type:"category",gridIndex:p,data:p<3?keys:dims,axisLabel:{color:th.fg,fontSize:10,hideOverlap:true,width:70,overflow:"truncate"},axisTick:{show:false}});
    ys.push({type:"value",gridIndex:p,axisLabel:{color:th.sub,fontSize:10},splitLine:{lineStyle:{color:th.grid}},splitNumber:3,max:p===2?1:null,min:p===2?0:null,interval:p===2?0.25:null});
    series.push({type:"bar",xAxisIndex:p,yAxisIndex:p,data:[],itemStyle:{color:spec.colors[p]},animationDurationUpdate:300});
  }
  titles.unshift({text:spec.title||"",left:"center",top:2,textStyle:{fontSize:14,color:th.fg}});
  chart.setOption({backgroundColor:th.bg,title:titles,grid:grids,xAxis:xs,yAxis:ys,series:series,
    tooltip:{trigger:"axis",axisPointer:{type:"shadow"},formatter:function(ps){
      if(!ps||!ps.length){return "";}var pp=ps[0],s=pp.seriesIndex<3?"key "+pp.dataIndex+": "+enc(keys[pp.dataIndex]):"dim "+pp.dataIndex;
      var v=pp.data&&pp.data.value!==undefined?pp.data.value:pp.data;return s+"<br>"+enc(panels[pp.seriesIndex].split("  ")[0])+": "+enc(v==null?"masked":num(v,false));}}});
  function row(A,r,n){var o=[];for(var c=0;c<n;c++){o.push(A.get(r*n+c));}return o;}
  function update(){
    var q=row(Q,qi,d),raw=[],scl=[],wts=[],out=[],j,c,mx=-Infinity,masked=0;
    for(j=0;j<Tk;j++){var s=0;for(c=0;c<d;c++){s+=q[c]*K.get(j*d+c);}raw.push(s);var z=s*sc,ok=!M||M.get(qi*Tk+j)!==0;if(!ok){masked++;}scl.push(ok?z:null);if(ok&&z>mx){mx=z;}}
    var tot=0;for(j=0;j<Tk;j++){var e=scl[j]===null?0:Math.exp(scl[j]-mx);wts.push(e);tot+=e;}
    for(j=0;j<Tk;j++){wts[j]=tot>0?wts[j]/tot:0;}
    for(c=0;c<dv;c++){var a=0;for(j=0;j<Tk;j++){a+=wts[j]*V.get(j*dv+c);}out.push(a);}
    var mk=function(vs){return vs.map(function(v){return v===null?{value:null}:{value:+v.toPrecision(7)};});};
    var mcol="rgb("+th.masked.join(",")+")";
    var sclData=mk(scl).map(function(x,j){return scl[j]===null?{value:0,itemStyle:{color:mcol},label:{show:true,position:"top",formatter:"\u2212\u221e",color:th.sub,fontSize:11}}:x;});
    var wData=mk(wts).map(function(x,j){return scl[j]===null?{value:0,itemStyle:{color:"rgb("+th.masked.join(",")+")"}}:x;});
    var sets=[mk(raw),sclData,wData,mk(out)],vals=[raw,scl,wts,out],labels=null;
    /* Annotate: every bar carries its value, as the static figure's cells do
       (decimals per panel from its largest magnitude; masked scores read −∞). */
    if(spec.annot){
      labels=[];
      sets.forEach(function(set,p){
        var big=0;vals[p].forEach(function(v){if(v!==null&&Math.abs(v)>big){big=Math.abs(v);}});
        var dec=decimalsFor(big),ls=[];
        set.forEach(function(x,j){
          var v=vals[p][j];
          if(v===null){ls.push("\u2212\u221e");return;}
          var t=fmtVal(v,dec);ls.push(t);
          x.label={show:true,position:v<0?"bottom":"top",formatter:t,color:th.fg,fontSize:10};
        });
        labels.push(ls);
      });
    }
    chart.setOption({series:sets.map(function(x){return {data:x};})});
    sq.value=String(qi);root.setAttribute("data-query",String(qi));
    var best=0;for(j=1;j<Tk;j++){if(wts[j]>wts[best]){best=j;}}
    status.textContent="query "+qi+": "+tok(spec.q,qi)+"  \u2014 strongest key "+best+": "+tok(spec.k,best)+" (w = "+num(wts[best],false)+")"+(masked?"  \u2014 "+masked+" keys masked":"");
    AV.last=root;root._steps={raw:raw,scaled:scl,weights:wts,out:out,labels:labels};
  }
  prev.addEventListener("click",function(){if(qi>0){qi--;update();}});
  next.addEventListener("click",function(){if(qi<T-1){qi++;update();}});
  sq.addEventListener("change",function(){qi=+sq.value;update();});
  update();
  return {charts:[chart]};
};

AV.views.strip=function(root,opt,spec,data){
  var th=THEMES[opt.theme];
  var arr=decode(data.w,spec.lo,spec.hi),lutT=lut(spec.pal,th.masked);
  var T=spec.T,Tk=spec.Tk,qi=spec.query;
  var bar=el("div","attnviz-bar",root);
  var sq=select(bar,"attnviz-query","Query",T,function(i){return i+": "+tok(spec.q,i);},qi);
  var mc=document.createElement("canvas").getContext("2d");mc.font="14px sans-serif";
  var pad=6,lh=28,x=10,y=40,boxes=[],w=opt.w;
  for(var j=0;j<Tk;j++){
    var t=tok(spec.k,j),tw=Math.min(w-20,Math.ceil(mc.measureText(t).width)+2*pad+4);
    if(x+tw>w-10&&x>10){x=10;y+=lh+20;}
    boxes.push({x:x,y:y,w:tw,t:t});x+=tw+4;
  }
  var hgt=Math.max(120,y+lh+72);
  var div=chartHost(root,w,hgt),chart=init(div,opt.theme,w,hgt),tip=tipFor(div,th);
  var status=el("div","attnviz-status",root);
  function draw(){
    var g=[],base=qi*Tk;
    for(var j=0;j<Tk;j++){
      var b=boxes[j],c=arr.code(base+j),sel=(T===Tk&&j===qi);
      g.push({type:"rect",id:"b"+j,silent:true,shape:{x:b.x,y:b.y,width:b.w,height:lh,r:3},style:{fill:rgbOf(lutT,c),stroke:sel?th.pin:null,lineWidth:sel?3:0}});
      var v=arr.get(base+j);
      g.push({type:"text",id:"v"+j,silent:true,x:b.x+b.w/2,y:b.y+lh+2,style:{text:v===v?v.toFixed(2):"\u2013",fill:th.sub,font:"10px sans-serif",align:"center",verticalAlign:"top"}});
      g.push({type:"text",id:"t"+j,silent:true,x:b.x+pad,y:b.y+lh/2,style:{text:b.t,fill:lumOf(lutT,c)>140?"#111111":"#ffffff",font:"14px sans-serif",verticalAlign:"middle",width:b.w>=w-20?b.w-2*pad:null,overflow:b.w>=w-20?"truncate":null}});
    }
    chart.setOption({graphic:{elements:g}});chart.getZr().flush();
    sq.value=String(qi);root.setAttribute("data-query",String(qi));
    status.textContent="attention paid by query "+qi+": "+tok(spec.q,qi)+" \u2014 hover a token for its weight"+(T===Tk?", click it to make it the query":"");
  }
  function hit(px,py){for(var j=0;j<Tk;j++){var b=boxes[j];if(px>=b.x&&px<b.x+b.w&&py>=b.y&&py<b.y+lh){return j;}}return -1;}
  chart.setOption({animation:false,backgroundColor:th.bg,title:{text:spec.title||"",left:"center",top:4,textStyle:{color:th.fg,fontSize:14}},
    visualMap:{type:"continuous",orient:"horizontal",min:spec.lo,max:spec.hi,calculable:false,seriesIndex:[],left:"center",bottom:4,itemWidth:10,itemHeight:180,inRange:{color:spec.pal},text:[num(spec.hi,false),num(spec.lo,false)],textStyle:{color:th.fg},formatter:function(v){return num(v,false);}}});
  var zr=chart.getZr();
  zr.on("mousemove",function(e){var j=hit(e.offsetX,e.offsetY);if(j<0){tip.hide();return;}
    tip.show(e.offsetX,e.offsetY,"query "+qi+": "+tok(spec.q,qi)+"\nkey "+j+": "+tok(spec.k,j)+"\nweight: "+num(arr.get(qi*Tk+j),arr.kind!=="f32"));});
  zr.on("globalout",function(){tip.hide();});
  zr.on("click",function(e){var j=hit(e.offsetX,e.offsetY);if(j>=0&&j<T&&T===Tk){qi=j;draw();}});
  sq.addEventListener("change",function(){qi=+sq.value;draw();});
  draw();
  return {charts:[chart]};
};

/* ---------- mount ---------- */
/* The figure's own element: the <div data-av=id> that holds the script. Where a
   frontend runs a copy of the script elsewhere (VS Code appends it to the output's
   container, jQuery in the classic Notebook to <head>), the nearest not yet drawn
   element with that id around the copy. */
function rootOf(s,id){
  function fresh(e){return e&&e.getAttribute&&e.getAttribute("data-av")===id&&!e.getAttribute("data-av-done");}
  var p=s&&s.parentNode,sel='div[data-av="'+id+'"]:not([data-av-done])';
  if(fresh(p)){return p;}
  for(var n=p;n;n=n.parentNode){if(n.querySelector){var e=n.querySelector(sel);if(e){return e;}}}
  return document.querySelector(sel);
}
AV.boot=function(s,id,kind,opt,spec,data){
  var root=rootOf(s,id);
  if(!root){if(window.console){console.warn("attnviz: no element for figure "+id);}return;}
  AV.mount(root,kind,opt,spec,data);
};
AV.mount=function(root,kind,opt,spec,data){
  css();
  root.setAttribute("data-av-done","1");
  root.setAttribute("data-av-start",String(Math.round(performance.now())));
  var th=THEMES[opt.theme]||THEMES.light;opt.theme=THEMES[opt.theme]?opt.theme:"light";
  root.style.background=th.bg;root.style.color=th.fg;root.style.padding="6px";
  var fb=root.querySelector(".attnviz-fallback"),note=root.querySelector(".attnviz-noscript"),hint=root.querySelector(".attnviz-static");
  var holder=el("div","attnviz-body",null);
  try{
    var view=AV.views[kind];
    if(!view){throw new Error("unknown view "+kind);}
    if(fb){fb.style.display="none";}
    if(note){note.style.display="none";}
    if(hint){hint.style.display="none";}
    root.appendChild(holder);
    var r=view(holder,opt,spec,data);
    root._attnviz=r;
    /* Paint now (zrender would wait for the next animation frame), then
       record when the canvases hold pixels: tests and benchmarks read it. */
    r.charts.forEach(function(c){c.getZr().flush();});
    root.setAttribute("data-av-painted",String(Math.round(performance.now())));
    AV.painted=(AV.painted||0)+1;
  }catch(err){
    if(fb){fb.style.display="";}
    if(note){note.style.display="";}
    if(hint){hint.style.display="";}
    if(holder.parentNode){holder.parentNode.removeChild(holder);}
    el("p","attnviz-error",root,"attnviz: could not draw the interactive view ("+(err&&err.message||err)+"); the static image is shown instead.");
    if(window.console){console.warn("attnviz:",err);}
  }
};
return AV;
}

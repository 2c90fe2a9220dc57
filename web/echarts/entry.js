// The custom ECharts build attnviz ships (viz/internal/echarts/assets/echarts.min.js):
// only what the runtime (viz/internal/echarts/assets/attnviz.js) uses. Built by
// web/echarts/build.mjs with esbuild from the npm packages pinned in web/package-lock.json.
//
//   heatmap, explorer  custom series (the cells are one canvas image), category axes,
//                      dataZoom (inside + slider), continuous visualMap (colour bar), title
//   headview, strip    graphic elements, title, continuous visualMap
//   steps              bar series on four grids, axis tooltip (axisPointer), bar labels
import * as echarts from "echarts/core";
import { CustomChart, BarChart } from "echarts/charts";
import {
  TitleComponent, GridComponent, DataZoomInsideComponent, DataZoomSliderComponent,
  VisualMapContinuousComponent, GraphicComponent, TooltipComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([CustomChart, BarChart, TitleComponent, GridComponent, DataZoomInsideComponent,
  DataZoomSliderComponent, VisualMapContinuousComponent, GraphicComponent, TooltipComponent, CanvasRenderer]);

export const init = echarts.init;
export const format = echarts.format;
export const version = echarts.version;

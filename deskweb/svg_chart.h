// A bar chart as inline SVG, drawn on the server so the desk's pages need no script and no asset
// from elsewhere. Written by hand: Debian packages no C++ charting library that writes SVG, and
// the pages' CSP allows no script (so no packaged JavaScript chart library either).
//
// Groups of bars (one group per category, one bar per series), horizontal so that long
// Vietnamese procedure names stay readable. Every bar is a <rect class="bar" data-series="i"
// data-value="v"> with a <title> (its label and value as text) so tests and screen readers can
// read what was drawn. Colours are SVG presentation attributes, not style attributes: the local
// site's CSP (style-src 'self') blocks inline styles, not these.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace taicho::deskweb {

struct ChartSeries {
  std::string name;    // legend text ("Trung vị / median")
  std::string colour;  // "#1565c0"
};

struct ChartCategory {
  std::string label;               // the procedure
  std::vector<double> values;      // one per series; negative values are drawn as 0
  std::vector<std::string> texts;  // one per series: the value as people read it ("85 %")
};

struct BarChart {
  std::string title;                // the chart's accessible name (<title>, aria-label)
  std::vector<ChartSeries> series;  // at least one
  std::vector<ChartCategory> categories;
  double max_value = 0;    // the axis end; 0: the largest value (or 1 if all are 0)
  std::string axis_label;  // under the axis ("phút / minutes")
};

// The chart as one <svg> element (UTF-8, escaped). With no categories it is a short text
// saying there is nothing to draw, still an <svg>.
std::string BarChartSvg(const BarChart& chart);

}  // namespace taicho::deskweb

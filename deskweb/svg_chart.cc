#include "deskweb/svg_chart.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "deskweb/markup.h"

namespace taicho::deskweb {
namespace {

// Geometry, in SVG user units (the element scales to its container's width).
constexpr double kWidth = 720;
constexpr double kLabelWidth = 220;  // the category labels, left of the bars
constexpr double kValueWidth = 90;   // the value texts, right of the longest bar
constexpr double kBarHeight = 16;
constexpr double kBarGap = 3;
constexpr double kGroupGap = 12;
constexpr double kTop = 34;  // the legend above the bars
constexpr double kBottom = 36;

std::string Number(double v) { return absl::StrFormat("%.6g", v); }

}  // namespace

std::string BarChartSvg(const BarChart& chart) {
  const size_t n_series = std::max<size_t>(chart.series.size(), 1);
  double max_value = chart.max_value;
  if (max_value <= 0) {
    for (const ChartCategory& c : chart.categories) {
      for (double v : c.values) max_value = std::max(max_value, v);
    }
    if (max_value <= 0) max_value = 1;
  }
  const double group_height = n_series * kBarHeight + (n_series - 1) * kBarGap;
  const double plot_width = kWidth - kLabelWidth - kValueWidth;
  const double height = chart.categories.empty()
                            ? 60
                            : kTop + chart.categories.size() * (group_height + kGroupGap) + kBottom;

  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 %s "
      "%s\" width=\"%s\" height=\"%s\" aria-label=\"%s\"><title>%s</title>",
      Number(kWidth), Number(height), Number(kWidth), Number(height), Escape(chart.title),
      Escape(chart.title));
  if (chart.categories.empty()) {
    absl::StrAppend(&svg,
                    "<text x=\"10\" y=\"35\" font-size=\"14\" fill=\"#444\">Không có số liệu / "
                    "no data</text></svg>");
    return svg;
  }
  // Legend.
  double x = kLabelWidth;
  for (size_t s = 0; s < chart.series.size(); ++s) {
    absl::StrAppendFormat(&svg,
                          "<rect class=\"legend\" x=\"%s\" y=\"8\" width=\"12\" height=\"12\" "
                          "fill=\"%s\"/><text x=\"%s\" y=\"18\" font-size=\"12\">%s</text>",
                          Number(x), Escape(chart.series[s].colour), Number(x + 16),
                          Escape(chart.series[s].name));
    x += 28 + 7.5 * static_cast<double>(chart.series[s].name.size());
  }
  double y = kTop;
  for (const ChartCategory& c : chart.categories) {
    absl::StrAppendFormat(
        &svg,
        "<text class=\"category\" x=\"%s\" y=\"%s\" font-size=\"13\" text-anchor=\"end\">%s</text>",
        Number(kLabelWidth - 8), Number(y + group_height / 2 + 4), Escape(c.label));
    for (size_t s = 0; s < n_series; ++s) {
      const double v = s < c.values.size() ? std::max(0.0, c.values[s]) : 0;
      const double w = std::min(1.0, v / max_value) * plot_width;
      const std::string text = s < c.texts.size() ? c.texts[s] : Number(v);
      const std::string colour = s < chart.series.size() ? chart.series[s].colour : "#1565c0";
      const std::string series_name = s < chart.series.size() ? chart.series[s].name : "";
      const double bar_y = y + s * (kBarHeight + kBarGap);
      absl::StrAppendFormat(
          &svg,
          "<rect class=\"bar\" data-series=\"%d\" data-value=\"%s\" x=\"%s\" y=\"%s\" "
          "width=\"%s\" height=\"%s\" fill=\"%s\"><title>%s — %s: %s</title></rect>"
          "<text class=\"value\" x=\"%s\" y=\"%s\" font-size=\"12\">%s</text>",
          s, Number(v), Number(kLabelWidth), Number(bar_y), Number(w), Number(kBarHeight),
          Escape(colour), Escape(c.label), Escape(series_name), Escape(text),
          Number(kLabelWidth + w + 4), Number(bar_y + kBarHeight - 4), Escape(text));
    }
    y += group_height + kGroupGap;
  }
  // The axis: a line at zero and the scale's end.
  absl::StrAppendFormat(
      &svg,
      "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#333\"/>"
      "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#333\"/>"
      "<text x=\"%s\" y=\"%s\" font-size=\"11\" text-anchor=\"middle\">0</text>"
      "<text x=\"%s\" y=\"%s\" font-size=\"11\" text-anchor=\"middle\">%s</text>"
      "<text x=\"%s\" y=\"%s\" font-size=\"12\" text-anchor=\"middle\">%s</text></svg>",
      Number(kLabelWidth), Number(kTop - 4), Number(kLabelWidth), Number(y), Number(kLabelWidth),
      Number(y), Number(kLabelWidth + plot_width), Number(y), Number(kLabelWidth), Number(y + 13),
      Number(kLabelWidth + plot_width), Number(y + 13),
      Escape(absl::StrFormat("%.3g", max_value)),  // a label, not a measurement: 3 digits
      Number(kLabelWidth + plot_width / 2), Number(y + 28), Escape(chart.axis_label));
  return svg;
}

}  // namespace taicho::deskweb

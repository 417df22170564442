//! Pretty JSON with syntax colouring, rendered as spans inside a `<pre>`.

use serde_json::Value;
use yew::prelude::*;

pub fn view(v: &Value) -> Html {
    let mut out = Vec::new();
    render(v, 0, &mut out);
    html! { <pre class="json">{ for out }</pre> }
}

fn indent(n: usize) -> Html {
    let pad = "  ".repeat(n);
    html! { <>{ pad }</> }
}

fn sep(more: bool) -> Html {
    html! { <>{ if more { ",\n" } else { "\n" } }</> }
}

fn render(v: &Value, depth: usize, out: &mut Vec<Html>) {
    match v {
        Value::Null => out.push(html! { <span class="j-null">{ "null" }</span> }),
        Value::Bool(b) => out.push(html! { <span class="j-bool">{ b.to_string() }</span> }),
        Value::Number(n) => out.push(html! { <span class="j-num">{ n.to_string() }</span> }),
        Value::String(s) => {
            out.push(html! { <span class="j-str">{ Value::String(s.clone()).to_string() }</span> })
        }
        Value::Array(items) if items.is_empty() => out.push(html! { <>{ "[]" }</> }),
        Value::Object(map) if map.is_empty() => out.push(html! { <>{ "{}" }</> }),
        Value::Array(items) => {
            out.push(html! { <>{ "[\n" }</> });
            for (i, item) in items.iter().enumerate() {
                out.push(indent(depth + 1));
                render(item, depth + 1, out);
                out.push(sep(i + 1 < items.len()));
            }
            out.push(indent(depth));
            out.push(html! { <>{ "]" }</> });
        }
        Value::Object(map) => {
            out.push(html! { <>{ "{\n" }</> });
            for (i, (k, item)) in map.iter().enumerate() {
                out.push(indent(depth + 1));
                out.push(
                    html! { <span class="j-key">{ Value::String(k.clone()).to_string() }</span> },
                );
                out.push(html! { <>{ ": " }</> });
                render(item, depth + 1, out);
                out.push(sep(i + 1 < map.len()));
            }
            out.push(indent(depth));
            out.push(html! { <>{ "}" }</> });
        }
    }
}

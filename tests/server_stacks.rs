//! Server-side HMR's stacks, end to end without a browser: the engine's server chunk and update
//! frames run in the real app's server process (`hotloop-app-server`, real `node`), and what
//! a TypeScript module throws names its `.ts` file and line — in the failure report (the
//! terminal's line and, through `server_failure_diagnostic`, the overlay), after a hot update
//! (the update's own map), and in an uncaught exception's crash output.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use engine::testing::TempProject;
use engine::{Cause, EngineHost, ProjectOptions, ServerAction, prepare, prepare_server};
use hotloop_app_server::{AppServer, AppServerEvent, AppServerOptions};

const WAIT: Duration = Duration::from_secs(10);

const PROJECT: &str = r#"
//- /index.html
<script type="module" src="/src/client.ts"></script>
//- /src/client.ts
console.log('page');
//- /src/server.ts
import { fail } from './fail';

export default {
  fetch(request: Request): Response {
    const path: string = new URL(request.url).pathname;
    if (path === '/crash') {
      setTimeout(() => fail('later'), 0);
    } else if (path === '/throw') {
      fail('now');
    }
    return new Response('ok');
  },
};
//- /src/fail.ts
// Types and comments shift every line of the emitted code.
type Reason = string;
interface Unused { a: number }

export function fail(reason: Reason): never {
  throw new Error(`failed: ${reason}`);
}
"#;

/// `fail.ts` with the throw two lines further down (line 8).
const FAIL_MOVED: &str = "// Types and comments shift every line of the emitted code.\n\
type Reason = string;\n\
interface Unused { a: number }\n\
// two\n\
// more\n\
\n\
export function fail(reason: Reason): never {\n  throw new Error(`failed again: ${reason}`);\n}\n";

fn wait_for<T>(server: &AppServer, mut pick: impl FnMut(&AppServerEvent) -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match server.events().recv_timeout(left) {
            Ok(event) => {
                if let Some(found) = pick(&event) {
                    return found;
                }
                seen.push(event);
            }
            Err(_) => panic!("no matching event within {WAIT:?}; seen: {seen:#?}"),
        }
    }
}

fn status_of(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.lines().next().unwrap_or_default().to_owned()
}

/// The failure the process reports for `GET path`: (module, message, stack).
fn failure_of(server: &AppServer, port: u16, path: &str) -> (Option<String>, String, String) {
    assert!(status_of(port, path).contains(" 500 "), "GET {path}");
    wait_for(server, |e| match e {
        AppServerEvent::Failure {
            id, message, stack, ..
        } => Some((id.clone(), message.clone(), stack.clone())),
        _ => None,
    })
}

/// The stack's first frame names `file` at `line` (1-based) of the original source.
fn assert_top_frame(stack: &str, file: &Path, line: u32) {
    let top = stack
        .lines()
        .find(|l| l.trim_start().starts_with("at "))
        .unwrap_or_default();
    let want = format!("{}:{line}:", file.display());
    assert!(
        top.contains(&want),
        "top frame {top:?} should name {want}; stack:\n{stack}"
    );
}

#[test]
fn a_throw_in_a_server_module_names_its_ts_line_before_and_after_an_update_and_in_a_crash() {
    let files = TempProject::new(PROJECT);
    let root = std::fs::canonicalize(files.root()).expect("root");
    let fail_ts = root.join("src/fail.ts");
    let options = ProjectOptions {
        server_entry: Some(root.join("src/server.ts")),
        ..ProjectOptions::default()
    };
    let mut host = EngineHost::new(&root, options).expect("host");
    host.build();
    let first = prepare_server(&mut host, None, &[], None, 0).expect("a server graph");
    assert!(
        first.build.diagnostics.is_empty(),
        "{:?}",
        first.build.diagnostics
    );
    let chunk = host.server_chunk(1, "s1").expect("a chunk");
    assert!(
        chunk.contains("//# sourceMappingURL=data:application/json;base64,"),
        "the chunk carries its map"
    );

    let mut server = AppServer::start(AppServerOptions {
        node: None,
        entry: "src/server.ts".into(),
        root: root.clone(),
        port: 0,
        env: Vec::new(),
    })
    .expect("node ≥ 20 on PATH");
    server.send_chunk(&chunk).expect("chunk sent");
    let port = wait_for(&server, |e| match e {
        AppServerEvent::Ready { port, .. } => Some(*port),
        _ => None,
    });
    assert!(status_of(port, "/").contains(" 200 "));

    // From the chunk: the throw is line 6 of fail.ts.
    let (module, message, stack) = failure_of(&server, port, "/throw");
    assert_eq!(message, "failed: now");
    assert_top_frame(&stack, &fail_ts, 6);
    assert!(
        stack.contains(&format!("{}:", root.join("src/server.ts").display())),
        "the caller is mapped too:\n{stack}"
    );
    // The overlay's diagnostic sits at that line, with its code frame.
    let diagnostic = host.server_failure_diagnostic(module, &message, &stack);
    assert_eq!(
        (diagnostic.file.as_str(), diagnostic.line),
        ("/src/fail.ts", 6)
    );
    assert!(
        diagnostic
            .code_frame
            .contains("throw new Error(`failed: ${reason}`)"),
        "{}",
        diagnostic.code_frame
    );

    // A hot update moves the throw to line 8: the update's factory brings its own map.
    files.write("src/fail.ts", FAIL_MOVED);
    host.apply_changes(std::slice::from_ref(&fail_ts));
    let edited = ["src/fail.ts".to_string()];
    prepare(&mut host, Cause::Edit { files: &edited }, 1);
    let update = prepare_server(&mut host, Some(&first.build), &edited, None, 1).expect("server");
    let ServerAction::Hot(2, frame) = &update.action else {
        panic!("a hot update, not {:?}", update.action);
    };
    server.send_frame(frame).expect("frame sent");
    wait_for(&server, |e| {
        matches!(e, AppServerEvent::Frame(_)).then_some(())
    });
    let (_, message, stack) = failure_of(&server, port, "/throw");
    assert_eq!(message, "failed again: now");
    assert_top_frame(&stack, &fail_ts, 8);

    // An uncaught exception ends the process; Node's own report of it is mapped as well.
    let _ = status_of(port, "/crash");
    let tail = wait_for(&server, |e| match e {
        AppServerEvent::Exited { last_words, .. } => Some(last_words.clone()),
        _ => None,
    });
    assert!(tail.contains("failed again: later"), "{tail}");
    assert!(
        tail.contains(&format!("{}:8:", fail_ts.display())),
        "the crash names fail.ts:8:\n{tail}"
    );
}

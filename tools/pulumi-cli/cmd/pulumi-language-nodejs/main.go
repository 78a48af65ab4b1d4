// Command pulumi-language-nodejs is a small Node.js language host for the
// Pulumi engine.
//
// Pulumi's own host lives in a Go module that the Go module proxy reachable
// from our machines does not serve, so scripts/bootstrap.sh builds this one
// instead. It implements what `pulumi preview/up/refresh/destroy` and the
// Automation API need from a language host: it starts
// `node @pulumi/pulumi/cmd/run <program>` with the engine's arguments and
// configuration, and answers the engine's informational calls. It also runs
// plugins written for Node.js (RunPlugin: the SDK's plugin runner), which is
// how programs in other languages, such as Pulumi YAML, use this project's
// component. Plugins are
// not discovered from package.json (GetRequiredPackages answers none): the
// engine loads each provider when the program first registers a resource of
// it, and scripts/bootstrap.sh installs those plugins ahead of time.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The Node.js SDK exits with this code after it has already shown the user an
// actionable message; the engine must then stop without adding its own.
const exitCodeUserMessageShown = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	// cancel ends a running program when the engine calls Cancel.
	cancel context.Context
	stop   context.CancelFunc
}

func main() {
	showVersion := flag.Bool("version", false, "print the plugin version and exit")
	// The engine passes these to every language host; this host has no use for them.
	flag.String("tracing", "", "ignored")
	flag.String("runtime", "nodejs", "ignored: only nodejs is supported")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	stopServing := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stopServing)
	}()

	h := &host{}
	h.cancel, h.stop = context.WithCancel(context.Background())
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[0]
		// Exit when the engine goes away, as every plugin must.
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, cancel); err != nil {
			fatal(fmt.Errorf("could not start health check: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stopServing,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fatal(fmt.Errorf("could not start the language host: %w", err))
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
	os.Exit(1)
}

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *host) GetRequiredPlugins(ctx context.Context, _ *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(ctx context.Context, _ *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, _ *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.CommandContext(ctx, "node", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: "node",
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *host) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	h.stop()
	return &emptypb.Empty{}, nil
}

// InstallDependencies runs `npm install` in the program's directory, for
// `pulumi install` and `pulumi new`.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	cmd := exec.CommandContext(stream.Context(), "npm", "install")
	cmd.Dir = req.GetInfo().GetProgramDirectory()
	cmd.Stdout = streamWriter{send: func(b []byte) error {
		return stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	cmd.Stderr = streamWriter{send: func(b []byte) error {
		return stream.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install failed in %s: %w", cmd.Dir, err)
	}
	return nil
}

type streamWriter struct{ send func([]byte) error }

func (w streamWriter) Write(b []byte) (int, error) {
	// The stream may keep the slice after Write returns.
	if err := w.send(append([]byte(nil), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// RunPlugin runs a plugin written for Node.js (a directory with PulumiPlugin.yaml, for example a
// component package that programs in other languages use) with the SDK's plugin runner, which
// serves the components the directory's entry point exports. The engine reads the plugin's port
// from its output, which goes back on the stream as it comes.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	dir := req.GetInfo().GetProgramDirectory()
	runner, err := resolveSDKCommand(stream.Context(), dir, "run-plugin")
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(stream, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	args := append([]string{runner, dir}, req.GetArgs()...)
	cmd := exec.CommandContext(stream.Context(), "node", args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = req.GetEnv()
	// Wrapped: Node may set its pipes non-blocking, which an *os.File handed to it would then inherit.
	cmd.Stdout, cmd.Stderr = struct{ io.Writer }{stdout}, struct{ io.Writer }{stderr}
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("plugin %s exited with code %d", dir, exitErr.ExitCode())
		}
		return fmt.Errorf("could not run node for plugin %s: %w", dir, err)
	}
	return closer.Close()
}

// Run executes the program with the Node.js SDK's runner and reports how it ended.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	runner, err := resolveRunner(ctx, programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	configJSON, err := legacyConfigJSON(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not serialize the stack configuration: %v", err)}, nil
	}
	secretKeys, err := json.Marshal(nonNil(req.GetConfigSecretKeys()))
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	opts := info.GetOptions().AsMap()
	env := append(os.Environ(),
		"PULUMI_CONFIG="+configJSON,
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	)
	// TypeScript is on unless Pulumi.yaml's runtime options turn it off, as with Pulumi's host.
	if ts, ok := opts["typescript"].(bool); !ok || ts {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if tsconfig, ok := opts["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	var nodeArgs []string
	if s, ok := opts["nodeargs"].(string); ok {
		nodeArgs = strings.Fields(s)
	}
	args := append(nodeArgs, runnerArguments(req, runner, h.engineAddress)...)

	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	context.AfterFunc(h.cancel, cancelRun)
	cmd := exec.CommandContext(runCtx, "node", args...)
	cmd.Dir = programDir
	cmd.Env = env
	// Node may switch its stdio to non-blocking mode; never hand it our own descriptors.
	cmd.Stdout = struct{ *os.File }{os.Stdout}
	cmd.Stderr = struct{ *os.File }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second

	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitCodeUserMessageShown:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
}

// resolveRunner finds @pulumi/pulumi/cmd/run as the program itself would, so
// the SDK version in the program's node_modules is the one that runs it.
func resolveRunner(ctx context.Context, programDir string) (string, error) {
	return resolveSDKCommand(ctx, programDir, "run")
}

// resolveSDKCommand finds @pulumi/pulumi/cmd/<name> from dir as Node would. The
// package has no "exports" map, so Node's lookup is the nearest
// node_modules/@pulumi/pulumi up from the directory: looked up here
// directly, as asking node costs a process start (about 0.1 s of CPU) on
// every preview and update. Node answers only when the file is not there
// (NODE_PATH, a global install).
func resolveSDKCommand(ctx context.Context, dir, name string) (string, error) {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", name, "index.js")
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	cmd := exec.CommandContext(ctx, "node", "-e", "console.log(require.resolve('@pulumi/pulumi/cmd/"+name+"'))")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find @pulumi/pulumi in %s: run `npm install` there first", dir)
	}
	return filepath.Clean(strings.TrimSpace(string(out))), nil
}

// runnerArguments builds the command line the SDK's runner expects.
func runnerArguments(req *pulumirpc.RunRequest, runner, engineAddress string) []string {
	args := []string{runner}
	add := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetInfo().GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

// legacyConfigJSON writes config keys as "<namespace>:config:<name>", the
// form every version of the Node.js SDK reads.
func legacyConfigJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

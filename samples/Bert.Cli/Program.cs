using System.CommandLine;
using System.Text;
using Bert.Cli.Commands;

Console.OutputEncoding = Encoding.UTF8;
// A command-line run is one job: let freed tensor memory be reused instead of faulted in again each batch.
Bert.Core.TorchRuntime.RetainFreedTensorMemory();

var root = new RootCommand("""
    Bert.NET: fine-tune and use BERT classifiers from .NET.
    With no arguments, runs 'train' with its defaults: a KNBC topic classifier from ../shared.
    """)
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    ExportOnnxCommand.Create(),
    TokenizeCommand.CreateTokenize(),
    TokenizeCommand.CreateStats(),
    CheckpointCommands.CreateInspect(),
    CheckpointCommands.CreateExtract(),
    PretrainCommand.Create(),
};
root.SetAction((_, token) => Task.FromResult(TrainCommand.RunDefaults(token)));
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One clear line instead of the whole help text.
    string command = parsed.CommandResult.Command == root ? "bert" : "bert " + parsed.CommandResult.Command.Name;
    Console.Error.WriteLine($"error: {parsed.Errors[0].Message} ('{command} --help' shows the options)");
    return 1;
}
return await parsed.InvokeAsync();

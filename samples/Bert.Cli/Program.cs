using Bert.Core;

TorchRuntime.EnsureAvailable();
Console.WriteLine("Bert.Cli: libtorch " + TorchSharp.torch.__version__ + " loaded.");
return 0;

using Fidamia.Core;
using Fidamia.Gis;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Server;

var builder = WebApplication.CreateBuilder(args);
builder.AddFidamiaCore();
builder.AddFidamiaImaging();
builder.AddFidamiaInference();
builder.AddFidamiaGis();
builder.AddFidamiaServer();

var app = builder.Build();
app.MapFidamiaServer();
app.Run();

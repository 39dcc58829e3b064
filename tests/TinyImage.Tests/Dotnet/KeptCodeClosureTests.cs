using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinyImage.Core;
using TinyImage.Core.Dotnet;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Dotnet;

/// <summary>
/// <see cref="KeptCodeClosure"/> on assemblies compiled here (so what each method names is known) and on the host's
/// ASP.NET Core framework, and <see cref="ILTokens"/> on hand-made and random bodies.
/// </summary>
public sealed class KeptCodeClosureTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Dictionary<string, string> _assemblies;

    public KeptCodeClosureTests()
    {
        var coreLib = typeof(object).Assembly.Location;
        _assemblies = new Dictionary<string, string>(StringComparer.Ordinal) { ["System.Private.CoreLib"] = coreLib };
        Compile("Parts", "namespace Parts { public class Gear { } public class Wheel { } public struct Bolt { public int Size; } public class Spare { } }");
        Compile("Frame", "namespace Frame { public class Chassis { public Parts.Bolt Bolt; } }", "Parts");
        Compile("Shop", """
            namespace Shop
            {
                public static class Entry
                {
                    public static object Build() => Helper();                 // Helper may be inlined: what it names counts
                    private static object Helper() => new Parts.Gear();
                    public static object Other() => new Parts.Wheel();          // never kept here
                    public static object Catching()
                    {
                        try { return null!; } catch (System.Exception) { return typeof(Frame.Chassis); }
                    }
                    public static object Generic() => Box<int>.Make();         // a MemberRef on a type specification
                }
                public static class Box<T> { public static object Make() => new Parts.Spare(); }
            }
            """, "Parts", "Frame");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_kept_method_reaches_what_it_and_the_same_assemblys_methods_it_calls_name_and_nothing_of_the_methods_left_out()
    {
        using var closure = new KeptCodeClosure(_assemblies);
        closure.AddKept("Shop", "Shop.Entry", new HashSet<string> { "Build" });
        var reached = closure.Reached();
        Assert.Contains("Parts", reached);    // through Helper's newobj
        Assert.DoesNotContain("Frame", reached);

        using var other = new KeptCodeClosure(_assemblies);
        other.AddKept("Shop", "Shop.Entry", new HashSet<string> { "Catching" });
        // ldtoken of Frame.Chassis; loading it needs its value-type field's type, in Parts
        Assert.Equal(["Frame", "Parts", "Shop", "System.Private.CoreLib"], other.Reached().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_method_of_a_generic_type_of_the_same_assembly_is_followed_as_it_may_be_inlined()
    {
        using var closure = new KeptCodeClosure(_assemblies);
        closure.AddKept("Shop", "Shop.Entry", new HashSet<string> { "Generic" });
        Assert.Contains("Parts", closure.Reached());
    }

    [Fact]
    public void A_nested_type_named_through_a_forwarder_reaches_the_assembly_that_defines_it()
    {
        const string Nested = "namespace Moved { public class Outer { public class Inner { } } }";
        Compile("Old", Nested);                                       // where the client was compiled against
        Compile("Client", "namespace Client { public static class Uses { public static object Run() => typeof(Moved.Outer.Inner); } }", "Old");
        Compile("New", Nested);                                       // where the type lives now
        var client = _assemblies["Client"];
        Compile("OldForwarding", "[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Moved.Outer))]", "New");
        var assemblies = new Dictionary<string, string>(_assemblies) { ["Old"] = _assemblies["OldForwarding"], ["Client"] = client };
        using var closure = new KeptCodeClosure(assemblies);
        closure.AddKept("Client", "Client.Uses", new HashSet<string> { "Run" });
        Assert.Contains("New", closure.Reached());
    }

    [Fact]
    public void A_type_reference_that_is_its_own_scope_is_one_line_not_a_stack_overflow()
    {
        // Helper's body is "newobj Parts.Gear::.ctor": make the TypeRef Parts.Gear its own resolution scope.
        var bytes = File.ReadAllBytes(_assemblies["Shop"]);
        using (var pe = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(bytes)))
        {
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            var gear = metadata.TypeReferences.Single(t => metadata.GetString(metadata.GetTypeReference(t).Name) == "Gear");
            var row = System.Reflection.Metadata.Ecma335.MetadataTokens.GetRowNumber(gear);
            var at = pe.PEHeaders.MetadataStartOffset + metadata.GetTableMetadataOffset(System.Reflection.Metadata.Ecma335.TableIndex.TypeRef)
                + (row - 1) * metadata.GetTableRowSize(System.Reflection.Metadata.Ecma335.TableIndex.TypeRef);
            var scope = (row << 2) | 3; // ResolutionScope coded index: tag 3 = TypeRef (2 bytes in a small assembly)
            bytes[at] = (byte)scope;
            bytes[at + 1] = (byte)(scope >> 8);
        }
        var looped = _dir.Combine("Looped.dll");
        File.WriteAllBytes(looped, bytes);
        using var closure = new KeptCodeClosure(new Dictionary<string, string>(_assemblies) { ["Shop"] = looped });
        closure.AddKept("Shop", "Shop.Entry", new HashSet<string> { "Build" });
        var error = Assert.Throws<TinyImageException>(() => closure.Reached());
        Assert.StartsWith($"AddDotnetApp: {looped} is not an assembly that can be read (", error.Message);
    }

    [Fact]
    public async Task A_type_specification_naming_itself_many_times_over_is_read_once()
    {
        // TypeSpec 1 = modopt(TypeSpec 1) x 8, then int32: decoded naively, 8^64 visits.
        var metadata = new MetadataBuilder();
        metadata.AddModule(0, metadata.GetOrAddString("Bomb.dll"), metadata.GetOrAddGuid(Guid.NewGuid()), default, default);
        metadata.AddAssembly(metadata.GetOrAddString("Bomb"), new Version(1, 0, 0, 0), default, default, 0, AssemblyHashAlgorithm.None);
        var coreLib = metadata.AddAssemblyReference(metadata.GetOrAddString("System.Private.CoreLib"), new Version(10, 0, 0, 0), default, default, 0, default);
        var obj = metadata.AddTypeReference(coreLib, metadata.GetOrAddString("System"), metadata.GetOrAddString("Object"));
        var signature = new BlobBuilder();
        for (var i = 0; i < 8; i++)
        {
            signature.WriteByte(0x20); // ELEMENT_TYPE_CMOD_OPT
            signature.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(MetadataTokens.TypeSpecificationHandle(1)));
        }
        signature.WriteByte(0x08); // int32
        var bomb = metadata.AddTypeSpecification(metadata.GetOrAddBlob(signature));
        var body = new InstructionEncoder(new BlobBuilder());
        body.OpCode(ILOpCode.Ldtoken);
        body.Token(bomb);
        body.OpCode(ILOpCode.Pop);
        body.OpCode(ILOpCode.Ret);
        var il = new BlobBuilder();
        var offset = new MethodBodyStreamEncoder(il).AddMethodBody(body);
        var voidSignature = new BlobBuilder();
        new BlobEncoder(voidSignature).MethodSignature().Parameters(0, r => r.Void(), p => { });
        metadata.AddTypeDefinition(default, default, metadata.GetOrAddString("<Module>"), default, MetadataTokens.FieldDefinitionHandle(1), MetadataTokens.MethodDefinitionHandle(1));
        metadata.AddTypeDefinition(TypeAttributes.Public, metadata.GetOrAddString("B"), metadata.GetOrAddString("C"), obj, MetadataTokens.FieldDefinitionHandle(1), MetadataTokens.MethodDefinitionHandle(1));
        metadata.AddMethodDefinition(MethodAttributes.Public | MethodAttributes.Static, MethodImplAttributes.IL, metadata.GetOrAddString("Run"), metadata.GetOrAddBlob(voidSignature), offset, default);
        var image = new BlobBuilder();
        new ManagedPEBuilder(new PEHeaderBuilder(imageCharacteristics: Characteristics.Dll), new MetadataRootBuilder(metadata), il).Serialize(image);
        var path = _dir.Combine("Bomb.dll");
        File.WriteAllBytes(path, image.ToArray());

        using var closure = new KeptCodeClosure(new Dictionary<string, string>(_assemblies) { ["Bomb"] = path });
        closure.AddKept("Bomb", "B.C", new HashSet<string> { "Run" });
        var reached = await Task.Run(closure.Reached).WaitAsync(TimeSpan.FromSeconds(60)); // naively: never
        Assert.Equal(["Bomb", "System.Private.CoreLib"], reached.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_type_nobody_keeps_reaches_nothing()
    {
        using var closure = new KeptCodeClosure(_assemblies);
        closure.AddKept("Shop", "Shop.Missing", new HashSet<string> { "Build" });
        Assert.Empty(closure.Reached());
    }

    [Fact]
    public void Kestrels_http_context_needs_websockets_from_the_untrimmed_framework()
    {
        // The trimmer drops System.Net.WebSockets for the minimal API, but the original DefaultHttpContext.Initialize,
        // which runs for every request, needs it: without it the request fails with FileNotFoundException.
        var runtime = DotnetRoot.Find(null, Environment.GetEnvironmentVariable);
        var assemblies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "Microsoft.NETCore.App", "Microsoft.AspNetCore.App" })
            foreach (var file in Directory.EnumerateFiles(runtime.Framework(new FrameworkReference(name, "10.0.0"), "Minor", "test"), "*.dll"))
                assemblies.TryAdd(Path.GetFileNameWithoutExtension(file), file);
        using var closure = new KeptCodeClosure(assemblies);
        closure.AddKept("Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Http.DefaultHttpContext", new HashSet<string> { "Initialize" });
        var reached = closure.Reached();
        Assert.Contains("System.Net.WebSockets", reached);
        Assert.Contains("System.Private.CoreLib", reached); // through System.Runtime's forwarders
        Assert.DoesNotContain("System.Private.Xml", reached);
        Assert.DoesNotContain("Microsoft.AspNetCore.Server.IIS", reached);
    }

    [Fact]
    public void A_body_naming_a_member_that_is_not_there_is_one_line_naming_the_assembly()
    {
        // Helper's body is "newobj Parts.Gear::.ctor; ret": point the newobj at MemberRef row 0xFFFFFF.
        var bytes = File.ReadAllBytes(_assemblies["Shop"]);
        int offset;
        using (var pe = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(bytes)))
        {
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            var helper = metadata.MethodDefinitions.Select(metadata.GetMethodDefinition).Single(m => metadata.GetString(m.Name) == "Helper");
            pe.PEHeaders.TryGetDirectoryOffset(new System.Reflection.PortableExecutable.DirectoryEntry(helper.RelativeVirtualAddress, 0), out offset);
        }
        Assert.Equal(0x73, bytes[offset + 1]); // a tiny header, then newobj
        bytes[offset + 2] = bytes[offset + 3] = bytes[offset + 4] = 0xFF;
        var broken = _dir.Combine("Broken.dll");
        File.WriteAllBytes(broken, bytes);
        using var closure = new KeptCodeClosure(new Dictionary<string, string>(_assemblies) { ["Shop"] = broken });
        closure.AddKept("Shop", "Shop.Entry", new HashSet<string> { "Build" });
        var error = Assert.Throws<TinyImageException>(() => closure.Reached());
        Assert.StartsWith($"AddDotnetApp: {broken} is not an assembly that can be read (", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Mutated_assemblies_give_a_closure_or_a_clean_error()
    {
        var original = File.ReadAllBytes(_assemblies["Shop"]);
        var random = new Random(20261130);
        var input = _dir.Combine("Mutated.dll");
        var failures = new List<string>();
        for (var i = 0; i < 2000; i++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 9); flips > 0; flips--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(input, i % 10 == 0 ? bytes[..random.Next(bytes.Length)] : bytes);
            try
            {
                using var closure = new KeptCodeClosure(new Dictionary<string, string>(_assemblies) { ["Shop"] = input });
                closure.AddKept("Shop", "Shop.Entry", new HashSet<string> { "Build", "Other", "Catching" });
                closure.AddKept("Shop", input);
                closure.Reached();
            }
            catch (TinyImageException)
            {
            }
            catch (Exception e)
            {
                failures.Add($"{i}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public void IL_tokens_are_those_of_calls_fields_and_types_not_strings_or_other_operands()
    {
        byte[] il =
        [
            0x20, 0x28, 0x00, 0x00, 0x0A,             // ldc.i4 (an int that looks like a call)
            0x28, 0x01, 0x00, 0x00, 0x0A,             // call MemberRef 1
            0x72, 0x05, 0x00, 0x00, 0x70,             // ldstr (a string token)
            0x45, 0x02, 0x00, 0x00, 0x00, 1, 0, 0, 0, 2, 0, 0, 0, // switch with two targets
            0xFE, 0x06, 0x03, 0x00, 0x00, 0x06,       // ldftn MethodDef 3
            0xFE, 0x0C, 0x01, 0x00,                   // ldloc 1
            0x7B, 0x02, 0x00, 0x00, 0x04,             // ldfld FieldDef 2
            0x21, 1, 2, 3, 4, 5, 6, 7, 8,             // ldc.i8
            0xD0, 0x07, 0x00, 0x00, 0x1B,             // ldtoken TypeSpec 7
            0x2A,                                     // ret
        ];
        Assert.Equal([0x0A000001, 0x06000003, 0x04000002, 0x1B000007], ILTokens.Of(il));
    }

    [Fact]
    public void IL_tokens_of_random_or_cut_bodies_end_without_error()
    {
        var random = new Random(20261130);
        for (var i = 0; i < 20000; i++)
        {
            var body = new byte[random.Next(0, 64)];
            random.NextBytes(body);
            if (i % 2 == 0 && body.Length > 0) body[0] = 0x45; // a switch claiming up to 4G targets
            var tokens = ILTokens.Of(body);
            Assert.True(tokens.Count <= body.Length / 5, $"{tokens.Count} tokens from {body.Length} bytes");
        }
    }

    private void Compile(string name, string source, params string[] references)
    {
        var compilation = CSharpCompilation.Create(name, [CSharpSyntaxTree.ParseText(source)],
            [MetadataReference.CreateFromFile(_assemblies["System.Private.CoreLib"]), .. references.Select(r => MetadataReference.CreateFromFile(_assemblies[r]))],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var path = _dir.Combine(name + ".dll");
        var result = compilation.Emit(path);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        _assemblies[name] = path;
    }
}

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MeshError } from "../src/errors.ts";
import { measureBasic } from "../src/measure.ts";
import type { Mesh } from "../src/mesh.ts";
import { detectFormat, parseMesh } from "../src/parse.ts";

/** The 3MF Consortium's samples: which files and why in 3mf-samples/README.md. */
const SAMPLES = new URL("./3mf-samples/", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, SAMPLES));
const files = (folder: string) => readdirSync(new URL(folder, SAMPLES)).filter((f) => f.endsWith(".3mf"));

/** The mesh, or the refusal; anything thrown that is not a MeshError (a 5xx at the HTTP edge) fails the test. */
function outcome(bytes: Uint8Array): Mesh | MeshError {
  try {
    // As an upload is read: the format detected from the bytes.
    expect(detectFormat(bytes)).toBe("3mf");
    return parseMesh(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    expect(["invalid_model", "model_too_large"]).toContain((err as MeshError).code);
    return err as MeshError;
  }
}

/**
 * PrusaSlicer's figures, from `prusa-slicer --info <file>` (PrusaSlicer 2.5.0, Debian's 2.5.0+dfsg-4, run on
 * 2026-11-26): the sum of its `volume =` and `number_of_facets =` lines, one per object. Constants, so that the
 * test does not need PrusaSlicer; rerun the command to check them.
 */
const PRUSA: Record<string, { volume: number; triangles: number }> = {
  "examples/core/box.3mf": { volume: 6000.0, triangles: 12 },
  "examples/core/cube_gears.3mf": { volume: 112366.37, triangles: 25692 },
  "examples/core/cylinder.3mf": { volume: 6198.102, triangles: 88 },
  "examples/core/dodeca_chain_loop.3mf": { volume: 32583.869, triangles: 7680 },
  "examples/core/heartgears.3mf": { volume: 120179.211, triangles: 30636 },
  "examples/core/multiple_cylinders.3mf": { volume: 37188.562, triangles: 528 },
  "examples/core/sphere.3mf": { volume: 4172.8, triangles: 2880 },
  "examples/core/torus.3mf": { volume: 776.831, triangles: 2200 },
  "examples/production/box_prod.3mf": { volume: 6000.0, triangles: 12 },
  "examples/production/sphere_prod.3mf": { volume: 4172.801, triangles: 2880 },
  "examples/production/torus_proc.3mf": { volume: 776.831, triangles: 2200 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter2.1_PartsRelationships.3mf": { volume: 8000, triangles: 12 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter2.2_PartNaming.3mf": { volume: 16387.064, triangles: 12 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter2.3a_IgnorableMarkup.3mf": { volume: 1000, triangles: 12 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter3.2b_UnitsMeasurementMM.3mf": { volume: 1000, triangles: 12 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter3.2c_MultipleItemsTransform.3mf": { volume: 14000.003, triangles: 60 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter3.4.1c_MustIgnoreUndefinedMetadataName.3mf": { volume: 8000, triangles: 12 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter3.4.2_MetaData_Resources_Build.3mf": { volume: 1000, triangles: 12 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter4.2_Components.3mf": { volume: 14000.003, triangles: 60 },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter5.1a_MaterialResources_CompositeAndMultiProperties.3mf": {
    volume: 1000,
    triangles: 12,
  },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter5.1b_MaterialResources_MultiObjects_CompositeAndMultiProperties.3mf": {
    volume: 2000,
    triangles: 24,
  },
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter5.1c_MaterialResources_sRGB_RGB_Colors.3mf": { volume: 1000, triangles: 12 },
};

/**
 * Files PrusaSlicer 2.5 refuses ("Found item with invalid object id", "Unable to find object"): it reads
 * neither the production extension's external parts nor objects of a type other than model. Our figures,
 * with where they come from.
 */
const OURS: Record<string, { volume: number; triangles: number }> = {
  // Every gear in a model part of its own: the same solids as core/cube_gears, so its volume to 0.1 mm³.
  "examples/production/cube_gears_prod_req.3mf": { volume: 112366.37, triangles: 25692 },
  // One object of type model; the other is never built.
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter3.4.3a_MustNotOutputNonReferencedObjects.3mf": { volume: 1000, triangles: 12 },
  // An arch of 404 triangles on a support block of 80: support meshes are not filled, so they add no volume.
  "3mf-Verify/MUSTPASS/MUSTPASS_Chapter4.1_ExplicitSupport.3mf": { volume: 10988.361, triangles: 404 },
};

describe("the 3MF Consortium's samples", () => {
  it("every MUSTPASS file is accepted, with PrusaSlicer's volume to 0.1 mm³", () => {
    const names = files("3mf-Verify/MUSTPASS/").map((f) => `3mf-Verify/MUSTPASS/${f}`);
    expect(names).toHaveLength(13);
    for (const name of names) {
      const mesh = outcome(read(name));
      expect(mesh, name).not.toBeInstanceOf(MeshError);
      const want = PRUSA[name] ?? OURS[name];
      expect(want, `${name} has expected figures`).toBeDefined();
      expect([name, (mesh as Mesh).triangleCount]).toEqual([name, want?.triangles]);
      expect(Math.abs(measureBasic(mesh as Mesh).volume - (want?.volume as number)), name).toBeLessThanOrEqual(0.1);
    }
  });

  it("the core and production examples: PrusaSlicer's volumes and triangle counts, external model parts read", () => {
    const names = [
      ...files("examples/core/").map((f) => `examples/core/${f}`),
      ...files("examples/production/").map((f) => `examples/production/${f}`),
    ];
    expect(names).toHaveLength(12);
    const volumes = new Map<string, ReturnType<typeof measureBasic>>();
    for (const name of names) {
      const want = PRUSA[name] ?? OURS[name];
      expect(want, `${name} has expected figures`).toBeDefined();
      const mesh = outcome(read(name));
      expect(mesh, name).not.toBeInstanceOf(MeshError);
      expect([name, (mesh as Mesh).triangleCount]).toEqual([name, want?.triangles]);
      volumes.set(name, measureBasic(mesh as Mesh));
      expect(Math.abs((volumes.get(name)?.volume as number) - (want?.volume as number)), name).toBeLessThanOrEqual(0.1);
    }
    // The gears in model parts of their own are the core file's gears (placed elsewhere on the plate).
    const inParts = volumes.get("examples/production/cube_gears_prod_req.3mf");
    const inRoot = volumes.get("examples/core/cube_gears.3mf");
    for (const k of [0, 1, 2]) expect(inParts?.bbox.size[k]).toBeCloseTo(inRoot?.bbox.size[k] as number, 4);
  });

  it("a valid 3MF with nothing Printfab can print (a beam lattice) is refused with the reason, not a crash", () => {
    const refusal = outcome(read("examples/beam-lattice/pyramid.3mf"));
    expect(refusal).toBeInstanceOf(MeshError);
    expect((refusal as MeshError).code).toBe("invalid_model");
    expect((refusal as MeshError).message).toMatch(/no triangles to print/);
  });

  /**
   * Every MUSTFAIL file, and what Printfab does with it. Refused: what breaks the build (its root model part,
   * its XML, its objects and their types). Accepted, because the geometry is intact and Printfab reads
   * nothing else: errors in colours, textures and materials (the materials extension), thumbnails, print
   * tickets, metadata, schema declarations and whitespace.
   */
  const MUSTFAIL: Record<string, RegExp | "accepted"> = {
    "Chapter2.1.1a_PartsRelationships_NonExist3DModelPart": /_rels\/\.rels\) name no root 3D model part/,
    "Chapter2.1.2_PartsRelationships_MoreThanOne3DModelPart": /name 2 root 3D model parts; a package has exactly one/,
    "Chapter2.3.2a_NonUTF_Encoding": /3MF model is not valid XML/,
    "Chapter3.4a_MoreThanOneModel": /3MF model is not valid XML: Multiple possible root nodes/,
    "Chapter3.4b_MissingBuildElement": /^3MF has no build items$/,
    "Chapter3.4c_MissingResourceElement": /^3MF refers to object 13, which does not exist$/,
    "Chapter3.4.3.1a_NotMatchingObjectIdInBuildItem": /^3MF refers to object 14, which does not exist$/,
    "Chapter3.4.3.1b_BuildItemReferToObjectOfTypeOther": /^3MF build includes object 8, of type "other"/,
    Chapter4a_InvalidObjectType: /^3MF object 8 has type "invalidtype", not one of model, solidsupport/,
    "Chapter2.1.1b_PartsRelationships_LinkToExternal": "accepted",
    "Chapter2.1.3_PartsRelationships_NonExistThumbnailPart": "accepted",
    "Chapter2.1.4_PartsRelationships_MoreThanOnePrintTicket": "accepted",
    "Chapter2.3.2b_DataTypeDefinitionInXMLMarkup": "accepted",
    "Chapter2.3.2c_UndefinedNameSpaceInXDS": "accepted",
    "Chapter2.3.2d_UndefinedXMLXSIInXSDSchema": "accepted",
    "Chapter2.3.4_WhiteSpace": "accepted",
    "Chapter3.4.1a_MissingMetadataName": "accepted",
    "Chapter3.4.1b_DuplicatedMetadataName": "accepted",
    Chapter4b_PID_IsNotSpecified: "accepted",
    Chapter5a_DuplicatedBaseMaterials: "accepted",
    "3MF100_Extension_Chapter2_DuplicatedColorGroupId": "accepted",
    "3MF100_Extension_Chapter2_DuplicatedIdAcrossGroup": "accepted",
    "3MF100_Extension_Chapter2_MissingColorValue": "accepted",
    "3MF100_Extension_Chapter3_DuplicatedTexture2DGroup": "accepted",
    "3MF100_Extension_Chapter3_MissingTexId": "accepted",
    "3MF100_Extension_Chapter4a_DuplicatedCompositeMaterials": "accepted",
    "3MF100_Extension_Chapter4b_MatId_IsNotBaseMaterials": "accepted",
    "3MF100_Extension_Chapter4c_MissingMatidMatIndices": "accepted",
    "3MF100_Extension_Chapter4d_MissingMatIndices": "accepted",
    "3MF100_Extension_Chapter5a_MissingPIDs": "accepted",
    "3MF100_Extension_Chapter5b_MultipleReferenceToBaseAndCompositeMatterials": "accepted",
    "3MF100_Extension_Chapter5b_MultipleReferenceToBaseMatterials": "accepted",
    "3MF100_Extension_Chapter5b_ReferToAnotherMultiProperties": "accepted",
    "3MF100_Extension_Chapter5c_MultipleReferenceToColorgroup": "accepted",
    "3MF100_Extension_Chapter5d_MultipleReferenceToCompositeMaterials": "accepted",
    "3MF100_Extension_Chapter5e_ReferenceToMultiProperties": "accepted",
    "3MF100_Extension_Chapter6_2DTexture_InvalidContentType": "accepted",
    "3MF100_Extension_Chapter6_2DTexture_MissingPath": "accepted",
  };

  it("MUSTFAIL: a broken build is refused with its reason, the rest accepted, never an unexpected exception", () => {
    const names = files("3mf-Verify/MUSTFAIL/");
    expect(names.map((f) => f.replace(/^MUSTFAIL_|\.3mf$/g, "")).sort()).toEqual(Object.keys(MUSTFAIL).sort());
    for (const file of names) {
      const want = MUSTFAIL[file.replace(/^MUSTFAIL_|\.3mf$/g, "")];
      const got = outcome(read(`3mf-Verify/MUSTFAIL/${file}`));
      if (want === "accepted") expect(got, file).not.toBeInstanceOf(MeshError);
      else {
        expect(got, file).toBeInstanceOf(MeshError);
        expect((got as MeshError).code, file).toBe("invalid_model");
        expect((got as MeshError).message, file).toMatch(want as RegExp);
      }
    }
  });
});
